package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SoftLimitSupportTest {
    @Test
    void softLimitFlagsAreExtractedAndBecomeChildJvmArgs() {
        SoftLimitSupport.Flags f = SoftLimitSupport.extract(new String[] {"--timeout", "2s", "--soft-limit", "64m",
                "-cp", "app.jar", "Main", "--soft-limit", "kept"});
        assertThat(f.softLimitBytes()).isEqualTo(64L << 20);
        assertThat(f.remaining()).containsExactly("--timeout", "2s", "-cp", "app.jar", "Main", "--soft-limit", "kept");
        assertThat(SoftLimitSupport.childJvmArgs(f)).containsExactly("-Xmx96m", "-Dweft.memory.softLimit=67108864",
                "-Dweft.memory.watchdog=on");
        assertThatThrownBy(() -> SoftLimitSupport.extract(new String[] {"--soft-limit", "64m", "--heap", "32m"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("larger than --soft-limit");
        assertThat(SoftLimitSupport.childJvmArgs(SoftLimitSupport.extract(new String[] {"-jar", "a.jar"}))).isEmpty();
    }
}
