package dev.weft.memory;

/**
 * The root memory budget as JMX shows it ({@code dev.weft:type=Budget,name="root"}): the figures of
 * {@link BudgetStatistics}, read fresh at every attribute read. Registered with {@code -Dweft.jmx=true} or by
 * {@code ./weft jmx PID} (see {@code dev.weft.WeftRuntimeMXBean}).
 *
 * {@snippet class=dev.weft.snippets.ObservabilitySnippets region=budgetMXBean}
 */
public interface BudgetMXBean {
    /** {@link BudgetStatistics#name()}. */
    String getName();

    /** {@link BudgetStatistics#limitBytesSoft()}. */
    long getLimitBytesSoft();

    /** {@link BudgetStatistics#graceBytes()}. */
    long getGraceBytes();

    /** {@link BudgetStatistics#usedBytes()}. */
    long getUsedBytes();

    /** {@link BudgetStatistics#peakBytes()}. */
    long getPeakBytes();

    /** {@link BudgetStatistics#refusals()}. */
    long getRefusals();

    /** {@link BudgetStatistics#graceLends()}. */
    long getGraceLends();

    /** {@link BudgetStatistics#graceHolders()}. */
    int getGraceHolders();
}
