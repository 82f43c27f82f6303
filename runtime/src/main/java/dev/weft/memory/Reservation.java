package dev.weft.memory;

import dev.weft.internal.budget.Leaks;

/**
 * Bytes held on a {@link MemoryBudget} (and its ancestors) until closed. Close it on every path, including
 * cancellation: try-with-resources, or {@link dev.weft.TaskScope#closeOnExit}.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=reservation}
 *
 * <h2>Leaks</h2>
 * A reservation that becomes unreachable while held is a leak: with leak detection on ({@code -ea}, or
 * {@code -Dweft.memory.leakDetection=on}) Weft prints a report naming the budget, the size and the stack
 * where the reservation was made, and releases it. With detection off it stays charged.
 *
 * <h2>Exceptions</h2>
 * {@link #resize} to a larger size can raise {@link MemoryLimitError} like {@link MemoryBudget#reserve};
 * then the reservation keeps its previous size.
 *
 * <h2>Thread safety</h2>
 * A reservation belongs to one task at a time: {@link #close()} is idempotent, but concurrent calls to
 * {@code close} and {@code resize} from different threads race. Hand it over through a happens-before edge
 * (a channel, a join).
 */
public final class Reservation implements AutoCloseable {
    private final BudgetImpl budget;
    /** Bytes held. Owner only. */
    private long bytes;
    /** Whether closed. Owner only. */
    private boolean released;
    /** Leak tracking, or null. Set once after construction by the budget. */
    Leaks.Tracker tracker;
    /** The carrier stock current when reserved, or null: where {@link #close} returns the bytes if still current. */
    private final BudgetStock stockHint;

    Reservation(BudgetImpl budget, long bytes, BudgetStock stockHint) {
        this.budget = budget;
        this.bytes = bytes;
        this.stockHint = stockHint;
    }

    /** Bytes held (0 once closed). */
    public long bytes() {
        return released ? 0 : bytes;
    }

    /** The budget the bytes are held on. */
    public MemoryBudget budget() {
        return budget;
    }

    /** Whether {@link #close()} was called. */
    public boolean isReleased() {
        return released;
    }

    /**
     * Changes the held amount to {@code newBytes}: grows by reserving the difference (which may raise
     * {@link MemoryLimitError}), shrinks by releasing it.
     *
     * @throws IllegalStateException if closed
     */
    public void resize(long newBytes) {
        if (released) {
            throw new IllegalStateException("reservation on memory budget '" + budget.name()
                    + "' is closed; reserve again with budget.reserve(bytes)");
        }
        BudgetImpl.checkBytes(newBytes);
        long delta = newBytes - bytes;
        if (delta > 0) {
            budget.reserveBytes(delta);
        } else if (delta < 0) {
            budget.releaseBytes(-delta);
        }
        bytes = newBytes;
        Leaks.Tracker t = tracker;
        if (t != null) {
            t.resized(newBytes);
        }
    }

    /** Releases the bytes. Idempotent. */
    @Override
    public void close() {
        if (released) {
            return;
        }
        released = true;
        budget.releaseBytes(bytes, stockHint);
        Leaks.Tracker t = tracker;
        if (t != null) {
            t.closed();
        }
    }

    @Override
    public String toString() {
        return "Reservation[" + budget.name() + ", " + bytes() + " bytes" + (released ? ", released]" : "]");
    }
}
