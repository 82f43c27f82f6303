package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SoftLimitSupportTest {
    private static SoftLimitSupport.Flags extract(String... args) {
        return SoftLimitSupport.extract(args);
    }

    @Test
    void softLimitFlagsAreExtractedAndBecomeChildJvmArgs() {
        SoftLimitSupport.Flags f = extract("--timeout", "2s", "--soft-limit", "64m", "-cp", "app.jar", "Main",
                "--soft-limit", "kept");
        assertThat(f.softLimitBytes()).isEqualTo(64L << 20);
        assertThat(f.remaining()).containsExactly("--timeout", "2s", "-cp", "app.jar", "Main", "--soft-limit", "kept");
        assertThat(SoftLimitSupport.childJvmArgs(f)).containsExactly("-Xmx96m", "-Dweft.memory.softLimit=67108864",
                "-XX:MaxDirectMemorySize=67108864", "-Dweft.memory.watchdog=on", "-Dweft.memory.softLimit.collectors=G1");
        assertThat(SoftLimitSupport.childJvmArgs(extract("-jar", "a.jar"))).isEmpty();
        assertThat(SoftLimitSupport.childJvmArgs(extract("--heap", "64m", "-jar", "a.jar"))).containsExactly("-Xmx64m");
    }

    @Test
    void aSoftLimitTooSmallForTheJvmIsRefusedBeforeOneStarts() {
        // before: the child died in the JVM's initialisation ("Too small maximum heap")
        assertThatThrownBy(() -> extract("--soft-limit", "1k", "-cp", "a", "Main"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--soft-limit 1.0 KiB is too small")
                .hasMessageContaining("give --soft-limit 8m or more");
        assertThatThrownBy(() -> extract("--soft-limit", "0")).hasMessageContaining("--soft-limit 0 B is too small");
        assertThat(extract("--soft-limit", "8m").softLimitBytes()).isEqualTo(SoftLimitSupport.SOFT_LIMIT_BYTES_MIN);
    }

    @Test
    void aSoftLimitWhoseDefaultHeapWouldOverflowIsRefusedBeforeAJvmStarts() {
        // before: 1.5 x Long.MAX_VALUE overflowed and the child got the smallest heap, 12 MiB, for an 8 EiB limit
        assertThatThrownBy(() -> extract("--soft-limit", String.valueOf(Long.MAX_VALUE), "-cp", "a", "Main"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--soft-limit 8.0 EiB is too large")
                .hasMessageContaining("e.g. --soft-limit 4g");
        // before: "'99999999999g' is not a size", of a size too large for a long
        assertThatThrownBy(() -> extract("--soft-limit", "99999999999g")).hasMessageContaining("is larger than 8 EiB");
        long max = SoftLimitSupport.SOFT_LIMIT_BYTES_MAX;
        SoftLimitSupport.Flags f = extract("--soft-limit", String.valueOf(max), "-cp", "a", "Main");
        assertThat(SoftLimitSupport.defaultHeapBytes(max)).isEqualTo(max / 2 * 3);
        assertThat(SoftLimitSupport.heapBytesMin(max)).isBetween(max, SoftLimitSupport.defaultHeapBytes(max));
        assertThat(SoftLimitSupport.childJvmArgs(f).getFirst()).isEqualTo("-Xmx" + ((max / 2 * 3) >> 20) + "m");
    }

    @Test
    void aHeapWithoutAUnitIsBytesAndWeftSaysSoInsteadOfTheJvm() {
        assertThatThrownBy(() -> extract("--heap", "10", "-cp", "a", "Main"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--heap 10 B is too small")
                .hasMessageContaining("give --heap 12m or more (a bare number is bytes: 64m is 64 MiB)");
    }

    @Test
    void aHeapBelowTheLimitPlusItsGraceIsRefusedNamingBothValues() {
        assertThatThrownBy(() -> extract("--soft-limit", "96m", "--heap", "100m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--heap 100.0 MiB is too small for --soft-limit 96.0 MiB")
                .hasMessageContaining("the limit plus its grace (108.0 MiB)")
                .hasMessageContaining("give --heap 144m (1.5 x the limit, the default)");
        assertThatThrownBy(() -> extract("--soft-limit", "64m", "--heap", "32m"))
                .hasMessageContaining("--heap 32.0 MiB is too small for --soft-limit 64.0 MiB");
        // the limit, its grace and the reserve (a 32nd of the heap) fit: 108 MiB * 32 / 31 = 111.5 MiB
        assertThat(extract("--soft-limit", "96m", "--heap", "112m").heapBytes()).isEqualTo(112L << 20);
        assertThatThrownBy(() -> extract("--soft-limit", "96m", "--heap", "111m")).hasMessageContaining("too small");
    }

    @Test
    void theDefaultHeapIsOneAndAHalfTimesTheLimitAndAlwaysLargeEnough() {
        for (long limit : new long[] {SoftLimitSupport.SOFT_LIMIT_BYTES_MIN, 96L << 20, 3L << 30, 1L << 40}) {
            long heap = SoftLimitSupport.defaultHeapBytes(limit);
            assertThat(heap).isGreaterThanOrEqualTo(SoftLimitSupport.heapBytesMin(limit))
                    .isGreaterThanOrEqualTo(SoftLimitSupport.HEAP_BYTES_MIN);
        }
        assertThat(SoftLimitSupport.defaultHeapBytes(96L << 20)).isEqualTo(144L << 20);
    }
}
