package dev.weft.memory;

import dev.weft.internal.loop.CarrierSlot;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One carrier's stock of bytes already charged to one budget and its ancestors, from which that carrier's
 * reservations on that budget are served without touching the shared counters: Linux's per-CPU memory-cgroup
 * charge stock ({@code memcg_stock_pcp}), with carriers for CPUs.
 *
 * <p>Implementation overview. A Weft loop's tasks share the stock kept in the loop's {@link CarrierSlot}; a
 * platform thread has its own ({@link ThreadLocal}); virtual threads outside Weft loops (the JDK's scheduler,
 * the stealing pool) have none and charge the counters directly. {@link #take} and {@link #give} are the fast
 * paths: one CAS or add on a line that stays in the carrier's cache. A budget refills the stock with a batch
 * ({@link BudgetImpl#batchBytes}) when it charges the counters, and a stock holding more than two batches
 * gives the excess back. A stock holds one budget at a time; a reservation on another budget empties it first.
 *
 * <p>Precision. Stocked bytes are charged but not reserved, so {@link MemoryBudget#usedBytes} subtracts what
 * the stocks hold. Before a budget refuses, every stock is {@linkplain #drainAll drained} and the charge
 * retried, again while the refusing budget still has bytes in a stock (a carrier refilled during the drain),
 * up to {@link BudgetImpl#DRAIN_ROUNDS_MAX} rounds; only a carrier that refills during each of those rounds can
 * still cause a refusal. While any grace is lent ({@link #suspend}), stocks neither give nor take: reservations above
 * a soft limit are charged exactly, and released exactly.
 *
 * <h2>Thread safety</h2>
 * {@link #bytes} is changed only atomically (the owner's CAS and adds, a drain's exchange). {@link #budget}
 * changes only under the stock's lock, by a thread running on the stock's carrier (a loop's stock is found
 * through the loop that actually mounted the task, not the one it may be moving to); the fast paths run only
 * there, one task at a time and never parking, so they never overlap a change of budget. Drains and
 * {@link #heldFor} read the budget under the lock. A fast path that a drain emptied falls back to the counters.
 */
final class BudgetStock implements CarrierSlot.Value {
    private static final VarHandle BYTES;
    private static final VarHandle SUSPENDED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            BYTES = l.findVarHandle(BudgetStock.class, "bytes", long.class);
            SUSPENDED = l.findStaticVarHandle(BudgetStock.class, "suspended", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Every stock ever made, for drains and for {@link #heldFor}; those of ended threads are pruned. */
    private static final Set<BudgetStock> ALL = ConcurrentHashMap.newKeySet();
    /** Stocks after the last prune; a prune runs when the registry doubles. Any thread (racy, advisory). */
    private static volatile int prunedSize = 16;
    /** Grants of grace outstanding in the process; stocks are off while positive. Atomic add. */
    @SuppressWarnings("unused")
    private static volatile int suspended;

    /** Platform threads' stocks; made on a thread's first refill, not by lookups. */
    private static final ThreadLocal<BudgetStock> PLATFORM = new ThreadLocal<>();

    /** The platform thread that owns this stock: a platform thread, or a loop's carrier. */
    private final Thread owner;
    /** The budget the stocked bytes are charged to, or null. Written under the lock (see class comment). */
    private volatile BudgetImpl budget;
    /** The batch {@link #budget} refills with; beyond two, releases go back. Written with budget (lock). */
    private long batch;
    /** Stocked bytes. Atomic access only. */
    @SuppressWarnings("unused")
    private volatile long bytes;

    private BudgetStock(Thread owner) {
        this.owner = owner;
    }

    private static BudgetStock register(BudgetStock s) {
        ALL.add(s);
        if (ALL.size() > 2 * prunedSize) {
            prune();
        }
        return s;
    }

    /**
     * The current carrier's stock if it has one, else null (none made yet, virtual threads outside Weft
     * loops, or stocks off because grace is lent). Never makes one: lookups on the fast paths cost no memory.
     */
    static BudgetStock current() {
        if (suspended != 0) {
            return null;
        }
        Thread t = Thread.currentThread();
        if (!t.isVirtual()) {
            return PLATFORM.get();
        }
        CarrierSlot slot = TaskMemory.currentCarrierSlot();
        return slot == null ? null : (BudgetStock) slot.carrierValue();
    }

    /** Whether the current thread owns this stock: a platform thread's own (a task's virtual thread never does). */
    boolean ownedByCurrentThread() {
        return owner == Thread.currentThread();
    }

    /** The current carrier's stock, made and registered on first use; null where {@link #current} is. */
    static BudgetStock currentOrNew() {
        if (suspended != 0) {
            return null;
        }
        Thread t = Thread.currentThread();
        if (!t.isVirtual()) {
            BudgetStock s = PLATFORM.get();
            if (s == null) {
                s = register(new BudgetStock(t));
                PLATFORM.set(s);
            }
            return s;
        }
        CarrierSlot slot = TaskMemory.currentCarrierSlot();
        if (slot == null) {
            return null;
        }
        CarrierSlot.Value s = slot.carrierValue();
        if (s == null) {
            BudgetStock made = register(new BudgetStock(slot.carrierThread()));
            // registering may have parked, and the loop run another task that made one: use that (ours stays
            // registered and empty); only this loop's tasks touch the slot, and never two at once
            s = slot.carrierValue();
            if (s == null) {
                slot.carrierValue(made);
                s = made;
            }
        }
        return (BudgetStock) s;
    }

    /** Fast path of a reservation: takes {@code n} bytes of {@code b} from this stock if it has them. */
    boolean take(BudgetImpl b, long n) {
        if (suspended != 0 || budget != b) {
            return false;
        }
        long have = bytes;
        while (have >= n) {
            if (BYTES.weakCompareAndSet(this, have, have - n)) {
                return true;
            }
            have = bytes;
        }
        return false;
    }

    /**
     * Fast path of a release: puts {@code n} bytes of {@code b} back into this stock if it holds
     * {@code b}, giving anything above two batches back to the counters. False: release them exactly.
     */
    boolean give(BudgetImpl b, long n) {
        if (suspended != 0 || budget != b) {
            return false;
        }
        long after = (long) BYTES.getAndAdd(this, n) + n;
        if (after > 2 * batch && BYTES.compareAndSet(this, after, batch)) {
            b.releaseCharged(after - batch);
        }
        return true;
    }

    /**
     * After {@code b} charged {@code batch} bytes beyond a reservation: puts them in this stock (the current
     * carrier's), emptying it of another budget first. False while stocks are off (the caller releases them).
     */
    boolean deposit(BudgetImpl b, long batch) {
        if (suspended != 0) {
            return false;
        }
        synchronized (this) {
            // Waiting for the lock may have unmounted the task and resumed it elsewhere (a moveTo whose yield
            // was pinned takes effect at the next park): only the carrier's own tasks may change the budget.
            if (current() != this) { // also null while stocks are off
                return false;
            }
            if (budget != b) {
                long old = (long) BYTES.getAndSet(this, 0L);
                if (old > 0) {
                    budget.releaseCharged(old);
                }
                budget = b;
            }
            this.batch = batch;
            BYTES.getAndAdd(this, batch);
        }
        return true;
    }

    /** Empties every stock into its budget's counters. Any thread; called before a budget refuses. */
    static void drainAll() {
        for (BudgetStock s : ALL) {
            s.drain();
        }
    }

    private void drain() {
        if (bytes == 0) {
            return;
        }
        synchronized (this) {
            long old = (long) BYTES.getAndSet(this, 0L);
            if (old > 0) {
                budget.releaseCharged(old);
            }
        }
    }

    /** Drains and forgets the stocks of threads (platform threads, loops' carriers) that have ended. */
    private static synchronized void prune() {
        for (Iterator<BudgetStock> it = ALL.iterator(); it.hasNext(); ) {
            BudgetStock s = it.next();
            if (!s.owner.isAlive()) {
                s.drain();
                it.remove();
            }
        }
        prunedSize = Math.max(16, ALL.size());
    }

    /** Bytes stocked for {@code b} or budgets below it (charged to {@code b}, reserved by nobody). Racy. */
    static long heldFor(BudgetImpl b) {
        long held = 0;
        for (BudgetStock s : ALL) {
            if (s.bytes == 0) {
                continue;
            }
            synchronized (s) { // budget and bytes together: a change of budget happens under the lock
                long n = s.bytes;
                BudgetImpl owner = s.budget;
                if (n > 0 && owner != null && owner.isWithin(b)) {
                    held += n;
                }
            }
        }
        return held;
    }

    /** Stocks registered (tests). */
    static int count() {
        return ALL.size();
    }

    /** Whether stocks are off because grace is lent (tests). */
    static boolean isSuspended() {
        return suspended != 0;
    }

    /** Grace lent somewhere: stocks off until {@link #resume}, and emptied now. */
    static void suspend() {
        SUSPENDED.getAndAdd(1);
        drainAll();
    }

    /** A grace ended. */
    static void resume() {
        int left = (int) SUSPENDED.getAndAdd(-1) - 1;
        assert left >= 0 : "stock suspensions underflow";
    }
}
