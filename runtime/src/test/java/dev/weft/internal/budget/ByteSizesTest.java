package dev.weft.internal.budget;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Sizes in messages: the same text String.format("%.1f") gave, without loading locale data. */
class ByteSizesTest {
    @Test
    void formatsLikeOneDecimalBinaryUnits() {
        assertThat(ByteSizes.format(0)).isEqualTo("0 B");
        assertThat(ByteSizes.format(1023)).isEqualTo("1023 B");
        assertThat(ByteSizes.format(1024)).isEqualTo("1.0 KiB");
        assertThat(ByteSizes.format(1536)).isEqualTo("1.5 KiB");
        assertThat(ByteSizes.format(24L << 20)).isEqualTo("24.0 MiB");
        assertThat(ByteSizes.format(-2048)).isEqualTo("-2.0 KiB");
        assertThat(ByteSizes.format(Long.MIN_VALUE)).isEqualTo("-8.0 EiB");
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        long[] samples = new long[20_000];
        for (int i = 0; i < samples.length; i++) { // every magnitude, and the values the review found
            samples[i] = random.nextLong(1L << (11 + i % 52));
        }
        samples[0] = 3_771_764_687_922_790L;
        samples[1] = 1048535;
        samples[2] = Long.MAX_VALUE;
        for (long b : samples) {
            if (b < 1024) {
                continue;
            }
            double v = b;
            String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
            int u = -1;
            while (v >= 1024 && u < units.length - 1) {
                v /= 1024;
                u++;
            }
            assertThat(ByteSizes.format(b)).as("%d bytes", b)
                    .isEqualTo(String.format(Locale.ROOT, "%.1f %s", v, units[u]));
        }
    }
}
