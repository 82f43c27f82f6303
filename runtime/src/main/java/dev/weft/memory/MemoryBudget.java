package dev.weft.memory;

import dev.weft.ContextVar;

/**
 * A hierarchical memory budget with a soft limit: the process {@linkplain #root() root}, components beneath
 * it, tasks beneath those. A {@link Reservation} charges its budget and every ancestor; crossing any soft limit
 * on the way raises {@link MemoryLimitError} in the reserving task and lends that task a grace allowance above
 * the limit for its cleanup.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=memory-budget}
 *
 * <h2>Soft limit and grace</h2>
 * {@link #reserve} succeeds while the budget and each ancestor stay within their soft limits. When one would
 * be crossed, nothing is reserved, the task gets {@link MemoryLimitError} (kind {@code SOFT_LIMIT}, naming
 * the budget, its limit, the amount asked and the amount in use), and the task is lent that budget's
 * {@linkplain #graceBytes() grace}: until the innermost {@code TaskScope} open in the task when the error was
 * raised exits (or the task ends, if none was open), its reservations on that budget may go up to the limit
 * plus the grace. Other tasks still see the plain limit. A task in grace that overruns the grace fails hard
 * (kind {@code GRACE_EXHAUSTED}; the task is cancelled). When the grace ends the budget is repaid and the
 * limit is the plain limit again for that task.
 *
 * <p>Defaults. The root's soft limit is {@value #ROOT_FRACTION_DEFAULT} of the maximum heap and a budget's
 * grace is {@value #GRACE_FRACTION_DEFAULT} of its limit: the heap needs slack above the live set for
 * garbage between collections (a collector that runs with a heap three-quarters live still keeps its
 * overhead moderate), and cleanup (closing, logging, an error reply) allocates a small fraction of what the
 * work did, so an eighth is generous without letting the grace eat the slack (limit plus grace is 84% of the
 * heap for the root). Configure the root with the system properties {@code weft.memory.softLimit} (a size such
 * as {@code 512m}, or a fraction of the maximum heap such as {@code 0.6}) and {@code weft.memory.grace}, or
 * with {@link #setLimitBytesSoft} and {@link #setGraceBytes}.
 *
 * <h2>Cancellation</h2>
 * No operation blocks; none is a cancellation point. A {@link MemoryLimitError} that escapes a task cancels
 * its siblings in a {@link dev.weft.TaskScope#run} with reason {@link dev.weft.CancelReason#MEMORY}.
 *
 * <h2>Exceptions</h2>
 * {@link MemoryLimitError} from {@link #reserve}; {@link IllegalArgumentException} for negative sizes.
 * Outside a Weft task a refusal raises the error without grace (there is no scope to end it).
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@link Reservation#close()} happen-before a reservation that observes the released bytes.
 *
 * <h2>Per-carrier stocks</h2>
 * A reservation of up to a 64th of the smallest soft limit on its path to the root (at most 64 KiB; none when that
 * limit is under 64 KiB) made on a Weft loop or a platform thread charges a batch that size beyond what it asked,
 * and keeps the extra in the carrier's stock; later small reservations on that carrier and budget are served from
 * the stock without touching the shared counters, and releases return to it (beyond two batches, back to the
 * budget). So reservations deep in the hierarchy cost one uncontended atomic operation, not one contended per
 * level. {@link #usedBytes} does not count stocked bytes. Every stock is emptied, and the charge retried, before a
 * budget refuses anything, and stocks are off while any task holds grace. The price: a carrier can hold up to two
 * batches charged to one budget, which the budget's {@linkplain BudgetStatistics#peakBytes() peak} includes.
 *
 * <h2>Thread safety</h2>
 * Thread-safe. Reserve and release take no lock on their fast paths: a compare-and-set per level of the
 * hierarchy, or one on the carrier's stock. Refilling a stock or switching it to another budget locks that
 * stock (contended only by a drain); refusals drain every stock. When the reservation does not escape
 * (try-with-resources), nothing is allocated once compiled.
 *
 * @implNote Leak detection ({@code -Dweft.memory.leakDetection=on}, on by default under {@code -ea}) records
 * where each reservation was made and reports one dropped without release; see {@link Reservation}.
 */
public sealed interface MemoryBudget permits BudgetImpl {
    /** The root soft limit as a fraction of the maximum heap, unless configured. */
    double ROOT_FRACTION_DEFAULT = 0.75;
    /** A budget's grace as a fraction of its soft limit, unless given. */
    double GRACE_FRACTION_DEFAULT = 0.125;

    /** The process root budget. */
    static MemoryBudget root() {
        return BudgetImpl.root();
    }

    /** The budget {@linkplain #bind() bound} in the current task's context (inherited by children), or the root. */
    static MemoryBudget current() {
        return BudgetImpl.current();
    }

    /**
     * A child with soft limit {@code limitBytesSoft} and the default grace: an eighth of the limit, or what is left
     * below {@link Long#MAX_VALUE} when limit plus an eighth would not fit (none for {@code Long.MAX_VALUE}).
     */
    MemoryBudget child(String name, long limitBytesSoft);

    /** A child with soft limit {@code limitBytesSoft} and grace {@code graceBytes}. */
    MemoryBudget child(String name, long limitBytesSoft, long graceBytes);

    /**
     * Reserves {@code bytes} on this budget and its ancestors.
     *
     * @throws MemoryLimitError if a soft limit would be crossed (grace is then lent to the task)
     */
    Reservation reserve(long bytes);

    /** Reserves {@code bytes} if every limit allows it now (the task's grace included); else null. Never raises. */
    Reservation tryReserve(long bytes);

    /**
     * Makes this budget the {@link #current()} one for the current task and the tasks it spawns, until the
     * binding is closed.
     */
    ContextVar<MemoryBudget>.Binding bind();

    /** The budget's name. */
    String name();

    /** The parent budget, or null for the root. */
    MemoryBudget parent();

    /** The soft limit in bytes. */
    long limitBytesSoft();

    /** The grace lent above the soft limit to a task that hit it. */
    long graceBytes();

    /**
     * Bytes currently reserved on this budget (its own and its descendants'). Exact when no reservation is
     * in flight; during concurrent reservations it may lag by what is moving between a carrier's stock and
     * the budget (see "Per-carrier stocks" above).
     */
    long usedBytes();

    /** Changes the soft limit (existing reservations stay); returns this budget. */
    MemoryBudget setLimitBytesSoft(long limitBytesSoft);

    /** Changes the grace; returns this budget. */
    MemoryBudget setGraceBytes(long graceBytes);

    /**
     * Fault injection: makes {@link #reserve} refuse at random with {@code probability} (0 turns it off), as
     * if the limit were crossed, deterministic for a {@code seed} and a sequence of calls. A task in grace is
     * never refused at random, so cleanup paths stay testable. Returns this budget.
     */
    MemoryBudget refuseAtRandom(long seed, double probability);

    /** An immutable snapshot of the budget's counters. */
    BudgetStatistics statistics();
}
