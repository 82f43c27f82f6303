package dev.weft.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Channel;
import dev.weft.Weft;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Javadoc examples do what their comments say. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SnippetsTest {
    private static final Weft.Options TWO_LOOPS = Weft.options().loops(2).handleSigint(false);

    @Test
    void scopeExamplesReturnWhatTheirCommentsSay() {
        Weft.run(TWO_LOOPS, () -> {
            assertThat(ScopeSnippets.nursery()).containsExactly("<https://a.example>", "<https://b.example>");
            assertThat(ScopeSnippets.join()).isEqualTo(2);
            ScopeSnippets.voidBody();
            assertThat(ScopeSnippets.valueBody()).isEqualTo("<a><b>");
            assertThat(ScopeSnippets.runOptional()).isEqualTo("<https://slow.example>");
            assertThat(ScopeSnippets.firstSuccess()).startsWith("<https://mirror-");
            assertThat(ScopeSnippets.start()).isEqualTo("port 8080");
        });
    }

    @Test
    void cancelScopeExamplesReturnWhatTheirCommentsSay() {
        Weft.run(TWO_LOOPS, () -> {
            assertThat(CancelScopeSnippets.cancelled()).isTrue();
            assertThat(CancelScopeSnippets.callOptional("u")).isEqualTo("<u>");
            assertThat(CancelScopeSnippets.cancelScope("u", () -> { })).isEqualTo("<u><u>");
        });
    }

    @Test
    void primitiveExamplesReturnWhatTheirCommentsSay() {
        Weft.run(TWO_LOOPS, () -> {
            PrimitiveSnippets.HANDLED.clear();
            PrimitiveSnippets.channel();
            assertThat(PrimitiveSnippets.HANDLED).containsExactly("a", "b", "c");
            PrimitiveSnippets.HANDLED.clear();
            PrimitiveSnippets.event();
            assertThat(PrimitiveSnippets.HANDLED).containsExactly("load the config", "work with the config");
            PrimitiveSnippets.HANDLED.clear();
            PrimitiveSnippets.limiter();
            assertThat(PrimitiveSnippets.HANDLED).hasSize(100);
            Channel<String> jobs = Channel.create(2);
            Channel<Integer> control = Channel.create(2);
            jobs.send("j");
            control.send(3);
            assertThat(PrimitiveSnippets.select(jobs, control)).isEqualTo("control 3");
            assertThat(PrimitiveSnippets.select(jobs, control)).isEqualTo("job j");
        });
    }

    @Test
    void runtimeExamplesReturnWhatTheirCommentsSay() {
        assertThat(RuntimeSnippets.virtualClockWith(Weft.options().handleSigint(false))).isTrue();
        Weft.run(TWO_LOOPS, () -> RuntimeSnippets.checkpoint(List.of("row")));
    }
}
