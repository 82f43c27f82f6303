package dev.weft.memory.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Weft;
import dev.weft.internal.budget.Leaks;
import dev.weft.memory.MemoryBudget;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test: every reservation was released (none open, none dropped, the root budget back where it
 * was) and every task joined (no Weft runtime still running).
 */
final class BudgetCheck implements BeforeEachCallback, AfterEachCallback {
    private long rootUsedBefore;

    @Override
    public void beforeEach(ExtensionContext context) {
        assertThat(Leaks.enabled).as("leak detection must be on in tests (-ea)").isTrue();
        Leaks.drainReports();
        rootUsedBefore = MemoryBudget.root().usedBytes();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        assertThat(Leaks.openReservations()).as("reservations still held after the test").isEmpty();
        assertThat(Leaks.drainReports()).as("reservations dropped without release").isEmpty();
        assertThat(MemoryBudget.root().usedBytes()).as("root budget after the test").isEqualTo(rootUsedBefore);
        assertThat(Weft.dump()).as("every task joined: no runtime still running").startsWith("weft: no runtime");
    }
}
