package dev.weft.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentOptionsTest {
    @Test
    void mostSpecificRuleWinsAndMethodRulesBeatClassRules() {
        PolicyRules r = AgentOptions.parse("com.example.**=backedge/64,com.example.hot.*=entry,"
                + "com.example.hot.Parser#parse=none").rules();
        assertThat(r.classPolicy("com.example.a.B", true)).isEqualTo(Policy.parse("backedge/64"));
        assertThat(r.classPolicy("com.example.hot.Parser", true)).isEqualTo(Policy.ENTRY);
        assertThat(r.classPolicy("com.example.hot.sub.X", true)).isEqualTo(Policy.parse("backedge/64"));
        assertThat(r.methodPolicy("com.example.hot.Parser", "parse", Policy.ENTRY)).isEqualTo(Policy.NONE);
        assertThat(r.methodPolicy("com.example.hot.Parser", "other", Policy.ENTRY)).isEqualTo(Policy.ENTRY);
        assertThat(r.classPolicy("org.other.X", true)).isEqualTo(Policy.BACKEDGE);
        assertThat(r.classPolicy("java.util.regex.Pattern", false)).isEqualTo(Policy.NONE);
    }

    @Test
    void instrumentOptsJdkPackagesIn() {
        PolicyRules r = AgentOptions.parse("instrument=java.util.regex.**").rules();
        assertThat(r.classPolicy("java.util.regex.Pattern", false)).isEqualTo(Policy.BACKEDGE);
        assertThat(r.classPolicy("java.util.HashMap", false)).isEqualTo(Policy.NONE);
        assertThat(r.optsInJdk()).isTrue();
    }

    @Test
    void recursiveMethodsGetEntryChecksUnlessTurnedOff() {
        assertThat(AgentOptions.defaults().recursionEntries()).isTrue();
        assertThat(AgentOptions.parse("recursion=false").recursionEntries()).isFalse();
    }

    @Test
    void classRuleCoversNestedClasses() {
        PolicyRules r = AgentOptions.parse("default=none,com.example.Parser=entry").rules();
        assertThat(r.classPolicy("com.example.Parser$Lexer", true)).isEqualTo(Policy.ENTRY);
        assertThat(r.classPolicy("com.example.ParserX", true)).isEqualTo(Policy.NONE);
    }

    @Test
    void configFileRulesApplyAndArgumentsOverrideThem(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("weft-agent.conf");
        Files.writeString(cfg, "# rules\ncom.example.** = entry\ncom.example.cold.** = none  # not hot\n");
        PolicyRules r = AgentOptions.parse("config=" + cfg + ",com.example.**=backedge").rules();
        assertThat(r.classPolicy("com.example.A", true)).isEqualTo(Policy.BACKEDGE);
        assertThat(r.classPolicy("com.example.cold.A", true)).isEqualTo(Policy.NONE);
    }

    @Test
    void badInputIsNamedWithTheFix() {
        assertThatThrownBy(() -> AgentOptions.parse("com.example.**=fast"))
                .hasMessageContaining("unknown policy 'fast'").hasMessageContaining("backedge/N");
        assertThatThrownBy(() -> AgentOptions.parse("com/example/**=entry"))
                .hasMessageContaining("bad glob 'com/example/**'").hasMessageContaining("dots");
        assertThatThrownBy(() -> AgentOptions.parse("com.example.**=backedge/0"))
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> AgentOptions.parse("com.example.**=backedge/x"))
                .hasMessageContaining("bad back-edge period 'x'");
        assertThatThrownBy(() -> AgentOptions.parse("verbose"))
                .hasMessageContaining("'verbose' is not KEY=VALUE");
        assertThatThrownBy(() -> AgentOptions.parse("chunk=3")).hasMessageContaining("bad chunk=3");
        assertThatThrownBy(() -> AgentOptions.parse("hook=jit")).hasMessageContaining("use hook=call or hook=inline");
        assertThatThrownBy(() -> AgentOptions.parse("recursion=yes"))
                .hasMessageContaining("bad recursion=yes; write recursion=true or recursion=false");
        assertThatThrownBy(() -> AgentOptions.parse("config=/no/such/file"))
                .hasMessageContaining("cannot read agent config file");
    }
}
