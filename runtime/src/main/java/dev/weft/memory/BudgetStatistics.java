package dev.weft.memory;

/**
 * An immutable snapshot of a {@link MemoryBudget}'s counters.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=budget-statistics}
 *
 * @param name           the budget's name
 * @param limitBytesSoft the soft limit
 * @param graceBytes     the grace lent to a task that hits the limit
 * @param usedBytes      bytes reserved now (this budget and its descendants)
 * @param peakBytes      the most ever charged at once (reserved, plus what carriers held in stock: at most
 *                       two batches of 1/64 of the limit, capped at 64 KiB, per carrier)
 * @param refusals       reservations refused (soft limit, grace overrun, or injected)
 * @param graceLends     times grace was lent
 * @param graceHolders   tasks holding this budget's grace now
 */
public record BudgetStatistics(String name, long limitBytesSoft, long graceBytes, long usedBytes, long peakBytes,
        long refusals, long graceLends, int graceHolders) {}
