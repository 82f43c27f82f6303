package dev.weft.memory;

import dev.weft.internal.event.Jfr;
import dev.weft.internal.task.TaskHandle;
import dev.weft.ContextVar;
import dev.weft.internal.budget.ByteSizes;
import dev.weft.internal.budget.Leaks;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The one implementation of {@link MemoryBudget}.
 *
 * <p>Implementation overview. {@link #used} is charged with a compare-and-set loop that checks the ceiling
 * before it commits, level by level from the budget up to the root; a level that refuses rolls back the
 * levels below it. So a charge never over-commits a level, even transiently. Small reservations (up to
 * {@link #batchBytes}) go through the carrier's {@link BudgetStock}: a charge takes a batch more than it
 * needs, and the next reservations on the same carrier and budget take from it (one CAS on a line only that
 * carrier writes) until it is empty; releases put bytes back. Before anything is refused every stock is
 * drained, so bytes parked in a stock do not cause refusals. No lock and no allocation on the fast path but
 * the {@link Reservation} (which escape analysis removes in try-with-resources). Everything else (grace,
 * fault injection, errors, statistics other than the peak) is on the slow path.
 *
 * <p>Things that don't work: {@code getAndAdd} then check (Elasticsearch's breakers before they switched to
 * CAS): a concurrent reserver can see the transient over-charge and be refused spuriously. A lock per
 * budget: the contended case is the one that matters. CAS at every level on every reservation: exact, but
 * two threads reserving on a budget two levels deep bounce two cache lines per operation, 3.2 times a bare
 * {@code AtomicLong} (docs/benchmarks.md). Solution: CAS with the check inside the loop, behind per-carrier
 * stocks as in Linux's memory cgroups.
 */
final class BudgetImpl implements MemoryBudget, TaskMemory.GraceLender, Leaks.Owner, TaskHandle.DumpValue {
    private static final VarHandle USED;
    private static final VarHandle PEAK;
    private static final VarHandle REFUSALS;
    private static final VarHandle GRACE_LENDS;
    private static final VarHandle GRACE_HOLDERS;
    private static final VarHandle RANDOM;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            USED = l.findVarHandle(BudgetImpl.class, "used", long.class);
            PEAK = l.findVarHandle(BudgetImpl.class, "peak", long.class);
            REFUSALS = l.findVarHandle(BudgetImpl.class, "refusals", long.class);
            GRACE_LENDS = l.findVarHandle(BudgetImpl.class, "graceLends", long.class);
            GRACE_HOLDERS = l.findVarHandle(BudgetImpl.class, "graceHolders", int.class);
            RANDOM = l.findVarHandle(BudgetImpl.class, "random", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final ContextVar<MemoryBudget> CURRENT = ContextVar.of("weft.memory.budget");

    private static final class RootHolder {
        static final BudgetImpl ROOT = createRoot();
    }

    private final String name;
    private final BudgetImpl parent;
    /** Soft limit. Written by setLimitBytesSoft (any thread); read by every reserve. */
    private volatile long limitBytesSoft;
    /** Grace. Written by setGraceBytes; read on the slow path. */
    private volatile long graceBytes;
    /** Bytes reserved here and below. CAS by any thread. */
    @SuppressWarnings("unused")
    private volatile long used;
    /** Highest {@link #used}. CAS-max by any thread. */
    @SuppressWarnings("unused")
    private volatile long peak;
    /** Refused reservations. Atomic add by any thread (slow path). */
    @SuppressWarnings("unused")
    private volatile long refusals;
    /** Grace grants. Atomic add (slow path). */
    @SuppressWarnings("unused")
    private volatile long graceLends;
    /** Tasks holding this budget's grace now. Atomic add (slow path, and when a grace ends). */
    @SuppressWarnings("unused")
    private volatile int graceHolders;
    /** Fault injection: refuse when a random draw is below this; 0 = off. Written by refuseAtRandom. */
    private volatile long refuseBelow;
    /** Fault injection: the random stream's state. Atomic add by any thread. */
    @SuppressWarnings("unused")
    private volatile long random;

    BudgetImpl(String name, BudgetImpl parent, long limitBytesSoft, long graceBytes) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("budget name must be non-blank; name it for error messages,"
                    + " e.g. root.child(\"cache\", 64L << 20)");
        }
        checkLimit(name, limitBytesSoft, graceBytes);
        this.name = name;
        this.parent = parent;
        this.limitBytesSoft = limitBytesSoft;
        this.graceBytes = graceBytes;
        TaskMemory.install(); // memory is in use: the runtime tells it of tasks (grace, contained OutOfMemoryErrors)
    }

    private static void checkLimit(String name, long limitBytesSoft, long graceBytes) {
        if (limitBytesSoft < 0 || graceBytes < 0 || limitBytesSoft + graceBytes < 0) {
            throw new IllegalArgumentException("memory budget '" + name + "': soft limit (" + limitBytesSoft
                    + ") and grace (" + graceBytes + ") must be non-negative bytes whose sum fits a long");
        }
    }

    static void checkBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot reserve " + bytes + " bytes: sizes are non-negative;"
                    + " release memory by closing the Reservation (or resize it to less)");
        }
    }

    /** An eighth of the limit, or less where limit plus grace would not fit a long (the grace was never asked for). */
    static long defaultGrace(long limitBytesSoft) {
        long grace = (long) (limitBytesSoft * GRACE_FRACTION_DEFAULT);
        return Math.max(0, Math.min(grace, Long.MAX_VALUE - limitBytesSoft));
    }

    private static BudgetImpl createRoot() {
        long max = Runtime.getRuntime().maxMemory();
        long limit = (long) (max * ROOT_FRACTION_DEFAULT);
        String p = System.getProperty("weft.memory.softLimit");
        if (p != null && !p.isBlank()) {
            limit = sizeOrFraction(p, max, "-Dweft.memory.softLimit");
        }
        long grace = defaultGrace(limit);
        String g = System.getProperty("weft.memory.grace");
        if (g != null && !g.isBlank()) {
            grace = sizeOrFraction(g, limit, "-Dweft.memory.grace");
        }
        return new BudgetImpl("root", null, limit, grace);
    }

    private static long sizeOrFraction(String text, long whole, String what) {
        String t = text.trim();
        if (t.startsWith("0.") || t.equals("1") || t.equals("1.0")) {
            double f = Double.parseDouble(t);
            return (long) (whole * f);
        }
        return ByteSizes.parse(t, what);
    }

    static BudgetImpl root() {
        MemoryMBeans.rootCreated(); // memory's MBeans, registered only if Weft's MBeans are
        return RootHolder.ROOT;
    }

    static MemoryBudget current() {
        MemoryBudget b = CURRENT.get();
        return b != null ? b : RootHolder.ROOT;
    }

    // ---------------------------------------------------------------- API

    @Override
    public MemoryBudget child(String childName, long limit) {
        return new BudgetImpl(childName, this, limit, defaultGrace(limit));
    }

    @Override
    public MemoryBudget child(String childName, long limit, long grace) {
        return new BudgetImpl(childName, this, limit, grace);
    }

    @Override
    public Reservation reserve(long bytes) {
        checkBytes(bytes);
        BudgetStock s = BudgetStock.current();
        if (refuseBelow != 0 || !charge(s, bytes)) {
            reserveSlow(bytes);
        }
        return newReservation(bytes, s);
    }

    /**
     * Bytes a carrier's stock is refilled with: a 64th of the smallest soft limit from this budget to the root
     * (a batch is charged to every level), at most 64 KiB; 0 (no stock) when that limit is under 64 KiB, where a
     * batch would be a large share of it. Reservations above it are never stocked.
     */
    long batchBytes() {
        long limit = limitBytesSoft;
        for (BudgetImpl b = parent; b != null; b = b.parent) {
            limit = Math.min(limit, b.limitBytesSoft);
        }
        long batch = Math.min(STOCK_BATCH_BYTES_MAX, limit >> 6);
        return batch >= STOCK_BATCH_BYTES_MIN ? batch : 0;
    }

    /** Drain-and-retry rounds before a refusal, in case a carrier refilled its stock during the drain. */
    static final int DRAIN_ROUNDS_MAX = 3;

    static final long STOCK_BATCH_BYTES_MAX = 64 << 10;
    static final long STOCK_BATCH_BYTES_MIN = 1 << 10;

    /** Fast path: from the carrier's stock, or charged with a batch for it, or charged exactly; false: refused. */
    private boolean charge(long bytes) {
        return charge(BudgetStock.current(), bytes);
    }

    /** {@link #charge(long)} with the current carrier's stock already looked up ({@code s}, null if none). */
    private boolean charge(BudgetStock s, long bytes) {
        if (s != null && s.take(this, bytes)) {
            return true;
        }
        long batch = batchBytes();
        if (batch == 0 || bytes > batch || (s == null && (s = BudgetStock.currentOrNew()) == null)) {
            return chargeAll(bytes);
        }
        if (chargeAll(bytes + batch)) {
            if (!s.deposit(this, batch)) {
                releaseCharged(batch);
            }
            return true;
        }
        return chargeAll(bytes);
    }

    @Override
    public Reservation tryReserve(long bytes) {
        checkBytes(bytes);
        if (refuseBelow != 0 && injectRefusal()) {
            return null;
        }
        if (!charge(bytes) && !drainStocksAndCharge(bytes)) {
            TaskMemory tm = TaskMemory.current();
            if (tm == null || !tm.inGrace() || tm.isOverrun() || chargeWithGrace(bytes, tm) != null) {
                return null;
            }
        }
        return newReservation(bytes, null);
    }

    /** Reserves without a Reservation object (resize). Raises like reserve. */
    void reserveBytes(long bytes) {
        if (refuseBelow != 0 || !charge(bytes)) {
            reserveSlow(bytes);
        }
    }

    /** Before a refusal: empties every carrier's stock, so parked bytes never cause one, and tries again. */
    private boolean drainStocksAndCharge(long bytes) {
        return drainStocksAndCharge(bytes, null) == null;
    }

    /**
     * Empties every stock and charges exactly (with {@code tm}'s grace, if any); again while the refusing level
     * still has bytes in some stock (a refill raced with the drain), at most {@link #DRAIN_ROUNDS_MAX} rounds.
     * Returns the refusing level, or null if charged.
     */
    private BudgetImpl drainStocksAndCharge(long bytes, TaskMemory tm) {
        BudgetImpl refused = null;
        for (int round = 0; round < DRAIN_ROUNDS_MAX; round++) {
            BudgetStock.drainAll();
            refused = chargeWithGrace(bytes, tm);
            if (refused == null || BudgetStock.heldFor(refused) == 0) {
                return refused;
            }
        }
        return refused;
    }

    /** Releases reserved bytes: into the carrier's stock if it holds this budget, else from every level. */
    void releaseBytes(long bytes) {
        releaseBytes(bytes, null);
    }

    /**
     * Releases {@code bytes}, into {@code hint} if the current thread owns it (a platform thread's own stock, found
     * when the bytes were reserved), else into the current carrier's stock looked up, else to the counters. The
     * hint spares a platform thread its second {@link ThreadLocal} lookup; a loop's stock never matches (its owner
     * is the carrier, never the task's virtual thread), so tasks look theirs up as before.
     */
    void releaseBytes(long bytes, BudgetStock hint) {
        if (used <= limitBytesSoft) { // over it (grace was lent), released bytes must not be handed out again
            BudgetStock s = hint != null && hint.ownedByCurrentThread() ? hint : BudgetStock.current();
            if (s != null && s.give(this, bytes)) {
                return;
            }
        }
        releaseCharged(bytes);
    }

    /** Takes charged bytes off this budget and every ancestor. Any thread. */
    void releaseCharged(long bytes) {
        for (BudgetImpl b = this; b != null; b = b.parent) {
            long after = (long) USED.getAndAdd(b, -bytes) - bytes;
            assert after >= 0 : "memory budget '" + b.name + "' released more than reserved: " + after;
        }
    }

    private Reservation newReservation(long bytes, BudgetStock stockHint) {
        Reservation r = new Reservation(this, bytes, stockHint);
        if (Leaks.enabled) {
            TaskMemory tm = TaskMemory.current();
            r.tracker = Leaks.track(r, this, bytes, tm == null ? null : tm.taskName());
        }
        return r;
    }

    /** Fast path: charges every level within its plain soft limit, or nothing. */
    private boolean chargeAll(long bytes) {
        for (BudgetImpl b = this; b != null; b = b.parent) {
            if (!b.tryAdd(bytes, b.limitBytesSoft)) {
                uncharge(b, bytes);
                return false;
            }
        }
        return true;
    }

    /** Charges every level within its limit plus, where the task holds grace, the grace; returns the refusing level or null. */
    private BudgetImpl chargeWithGrace(long bytes, TaskMemory tm) {
        for (BudgetImpl b = this; b != null; b = b.parent) {
            long ceiling = b.limitBytesSoft;
            if (tm != null && tm.inGrace(b)) {
                ceiling += b.graceBytes;
            }
            if (!b.tryAdd(bytes, ceiling)) {
                uncharge(b, bytes);
                return b;
            }
        }
        return null;
    }

    /** Rolls back the levels from this budget up to, not including, {@code stop}. */
    private void uncharge(BudgetImpl stop, long bytes) {
        for (BudgetImpl b = this; b != stop; b = b.parent) {
            USED.getAndAdd(b, -bytes);
        }
    }

    private boolean tryAdd(long bytes, long ceiling) {
        long cur;
        long next;
        do {
            cur = used;
            next = cur + bytes;
            if (next > ceiling || next < 0) {
                return false;
            }
        } while (!USED.weakCompareAndSet(this, cur, next));
        if (next > peak) {
            raisePeak(next);
        }
        return true;
    }

    private void raisePeak(long value) {
        long p;
        do {
            p = peak;
            if (value <= p) {
                return;
            }
        } while (!PEAK.weakCompareAndSet(this, p, value));
    }

    /** Slow path: fault injection, grace, errors. Returns normally if the bytes were charged; else throws. */
    private void reserveSlow(long bytes) {
        TaskMemory tm = TaskMemory.current();
        String task = tm == null ? null : tm.taskName();
        if (tm != null) {
            MemoryLimitError pending = tm.takePending();
            if (pending != null) {
                throw pending;
            }
            if (tm.isOverrun()) {
                REFUSALS.getAndAdd(this, 1L);
                throw error(MemoryLimitError.Kind.GRACE_EXHAUSTED, this, bytes, task, null);
            }
        }
        boolean inGrace = tm != null && tm.inGrace();
        BudgetImpl refused;
        String note = null;
        if (refuseBelow != 0 && !inGrace && injectRefusal()) {
            refused = this;
            note = "(injected refusal: the budget refuses at random, MemoryBudget.refuseAtRandom)";
        } else {
            refused = drainStocksAndCharge(bytes, tm);
            if (refused == null) {
                return;
            }
        }
        REFUSALS.getAndAdd(refused, 1L);
        if (tm != null && tm.inGrace(refused)) {
            MemoryLimitError e = error(MemoryLimitError.Kind.GRACE_EXHAUSTED, refused, bytes, task, null);
            tm.overrun(e);
            if (Jfr.recording) {
                MemoryEvents.limit(e);
            }
            throw e;
        }
        MemoryLimitError e = error(MemoryLimitError.Kind.SOFT_LIMIT, refused, bytes, task, note);
        if (Jfr.recording) {
            MemoryEvents.limit(e);
        }
        if (tm != null) {
            GRACE_LENDS.getAndAdd(refused, 1L);
            int holders = (int) GRACE_HOLDERS.getAndAdd(refused, 1) + 1;
            tm.grantGrace(refused);
            if (Jfr.recording) {
                MemoryEvents.graceUsed(refused.name, task, refused.graceBytes, holders);
            }
            BudgetStock.suspend(); // after the grant: its repayment resumes, even if the drain throws
        }
        throw e;
    }

    private static MemoryLimitError error(MemoryLimitError.Kind kind, BudgetImpl b, long bytes, String task,
            String note) {
        return new MemoryLimitError(kind, b.name, b.limitBytesSoft, b.graceBytes, bytes, b.usedBytes(), task, note,
                null);
    }

    private boolean injectRefusal() {
        long x = (long) RANDOM.getAndAdd(this, 0x9E3779B97F4A7C15L) + 0x9E3779B97F4A7C15L;
        x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        x = x ^ (x >>> 31);
        return (x >>> 1) < refuseBelow;
    }

    @Override
    public void repayGrace() {
        int left = (int) GRACE_HOLDERS.getAndAdd(this, -1) - 1;
        assert left >= 0 : "grace holders underflow on budget '" + name + "'";
        BudgetStock.resume();
    }

    @Override
    public void releaseLeaked(long bytes) {
        releaseBytes(bytes);
    }

    @Override
    public ContextVar<MemoryBudget>.Binding bind() {
        return CURRENT.bind(this);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public MemoryBudget parent() {
        return parent;
    }

    @Override
    public long limitBytesSoft() {
        return limitBytesSoft;
    }

    @Override
    public long graceBytes() {
        return graceBytes;
    }

    @Override
    public long usedBytes() {
        return Math.max(0, used - BudgetStock.heldFor(this));
    }

    /** Bytes charged here, stocked ones included (tests and diagnostics). */
    long chargedBytes() {
        return used;
    }

    /** Whether this budget is {@code b} or below it. */
    boolean isWithin(BudgetImpl b) {
        for (BudgetImpl x = this; x != null; x = x.parent) {
            if (x == b) {
                return true;
            }
        }
        return false;
    }

    @Override
    public MemoryBudget setLimitBytesSoft(long limit) {
        checkLimit(name, limit, graceBytes);
        this.limitBytesSoft = limit;
        BudgetStock.drainAll(); // stocks refilled under the old limit hold batches sized by it
        return this;
    }

    @Override
    public MemoryBudget setGraceBytes(long grace) {
        checkLimit(name, limitBytesSoft, grace);
        this.graceBytes = grace;
        return this;
    }

    @Override
    public MemoryBudget refuseAtRandom(long seed, double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("refusal probability must be in [0, 1], got " + probability);
        }
        random = seed;
        refuseBelow = probability == 0 ? 0 : (long) Math.max(1, probability * (double) Long.MAX_VALUE);
        return this;
    }

    @Override
    public BudgetStatistics statistics() {
        return new BudgetStatistics(name, limitBytesSoft, graceBytes, usedBytes(), peak, refusals, graceLends,
                graceHolders);
    }

    @Override
    public String dumpKey() {
        return "budget";
    }

    /** The budget a task runs under, in the task dump: name, bytes in use, soft limit, grace, grace holders. */
    @Override
    public void dumpJson(StringBuilder json) {
        json.append("{\"name\":\"").append(name.replace("\\", "\\\\").replace("\"", "\\\""))
                .append("\",\"usedBytes\":").append(usedBytes())
                .append(",\"limitBytesSoft\":").append(limitBytesSoft)
                .append(",\"graceBytes\":").append(graceBytes)
                .append(",\"graceHolders\":").append(graceHolders).append('}');
    }

    @Override
    public String toString() {
        return "MemoryBudget[" + name + ", " + ByteSizes.format(usedBytes()) + " of " + ByteSizes.format(limitBytesSoft)
                + "]";
    }
}
