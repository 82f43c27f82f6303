package dev.weft.internal.budget;

/**
 * Where the memory package keeps one carrier's stock of pre-charged bytes ({@code dev.weft.memory.BudgetStock}).
 * Implemented by a Weft loop: its tasks run on its one carrier, one at a time, so the slot is the carrier's own.
 *
 * <h2>Thread safety</h2>
 * Both methods are called only by tasks running on the slot's carrier.
 */
public interface StockSlot {
    /** The stock kept here, or null before the first reservation on this carrier. */
    Object memoryStock();

    /** Keeps {@code stock} here; called once per carrier. */
    void memoryStock(Object stock);

    /** The carrier thread; a stock whose carrier has ended is emptied and forgotten. */
    Thread carrierThread();
}
