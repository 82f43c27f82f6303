package dev.weft.internal.loop;

/**
 * A slot for one carrier's state of an extension (memory budgets keep their stock of pre-charged bytes here).
 * Implemented by {@link EventLoop}: its tasks run on its one carrier, one at a time, so the slot is the
 * carrier's own. The loop keeps the value and never looks at it: the scheduler knows nothing of what
 * extensions do.
 *
 * <h2>Thread safety</h2>
 * {@link #carrierValue()} and {@link #carrierValue(Value)} are called only by tasks running on the slot's
 * carrier; {@link #carrierThread()} by any thread.
 */
public interface CarrierSlot {
    /** What an extension keeps in a carrier's slot. */
    interface Value {}

    /** The value kept here, or null before the first. */
    Value carrierValue();

    /** Keeps {@code value} here. */
    void carrierValue(Value value);

    /** The carrier thread; a value whose carrier has ended may be dropped. */
    Thread carrierThread();
}
