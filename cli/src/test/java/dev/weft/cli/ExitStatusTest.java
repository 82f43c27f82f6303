package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Weft;
import dev.weft.internal.softlimit.SoftLimitRun;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ExitStatusTest {
    @Test
    void eachCodeHasOneMeaning() {
        assertThat(Arrays.stream(ExitStatus.values()).map(ExitStatus::code)).doesNotHaveDuplicates();
    }

    @Test
    void theTableUsesTheRuntimesConstants() {
        assertThat(ExitStatus.FAILED.code()).isEqualTo(Weft.EXIT_FAILED);
        assertThat(ExitStatus.TIMEOUT.code()).isEqualTo(Weft.EXIT_TIMEOUT);
        assertThat(ExitStatus.INTERRUPTED.code()).isEqualTo(Weft.EXIT_INTERRUPTED);
        assertThat(ExitStatus.TERMINATED.code()).isEqualTo(Weft.EXIT_TERMINATED);
        assertThat(ExitStatus.MEMORY.code()).isEqualTo(SoftLimitRun.EXIT_MEMORY);
        assertThat(ExitStatus.OK.code()).isZero();
    }

    @Test
    void onlyTheSignalStatusesUseTheSignalRange() {
        assertThat(ExitStatus.values())
                .filteredOn(s -> s != ExitStatus.INTERRUPTED && s != ExitStatus.TERMINATED)
                .allSatisfy(s -> assertThat(s.code()).isBetween(0, 127));
        assertThat(ExitStatus.INTERRUPTED.code()).isEqualTo(128 + 2); // SIGINT is signal 2
        assertThat(ExitStatus.TERMINATED.code()).isEqualTo(128 + 15); // SIGTERM is signal 15
    }

    @Test
    void summaryListsCodesWithTheirLabels() {
        assertThat(ExitStatus.summary(ExitStatus.OK, ExitStatus.TIMEOUT)).isEqualTo("0 ok, 124 timeout");
    }
}
