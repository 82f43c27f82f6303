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
        for (long b : new long[] {1100, 1048535, 5_000_000_000L, 123_456_789_012L, Long.MAX_VALUE}) {
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
