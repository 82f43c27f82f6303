package dev.weft.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.agent.internal.AgentOptions;
import dev.weft.agent.internal.Policy;
import org.junit.jupiter.api.Test;

/** The agent options of {@code WeftAgent}'s Javadoc parse, and mean what their comments say. */
class AgentSnippetsTest {
    @Test
    void theDocumentedOptionsOptInRegexCheckAHotPackageEvery64thIterationAndWriteAReport() {
        AgentOptions o = AgentOptions.parse(AgentSnippets.OPTIONS);
        assertThat(o.report()).isEqualTo("weft-agent.txt");
        assertThat(o.rules().classPolicy("java.util.regex.Pattern", false)).isEqualTo(Policy.BACKEDGE);
        assertThat(o.rules().classPolicy("com.example.hot.Parser", true)).isEqualTo(Policy.parse("backedge/64"));
        assertThat(o.rules().classPolicy("com.example.Main", true)).isEqualTo(Policy.BACKEDGE);
    }
}
