package example.agent;

import dev.weft.Uncancellable;
import dev.weft.agent.Checkpoints;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/** Fixtures the agent transforms in tests: one method per loop shape. */
public class Loops {
    public static volatile boolean finallyRan;
    public static volatile boolean stop;
    public static final Object LOCK = new Object();
    public static final ReentrantLock RLOCK = new ReentrantLock();

    /** A tight loop with no calls, forever until cancelled; records that its finally ran. */
    public static long spinForever() {
        long x = 0;
        try {
            while (!stop) {
                x++;
            }
        } finally {
            finallyRan = true;
        }
        return x;
    }

    /** A non-counted loop (while, step by a data-dependent amount): one check per iteration. */
    public static int collatzSteps(long n) {
        int steps = 0;
        while (n != 1) {
            n = (n & 1) == 0 ? n / 2 : 3 * n + 1;
            steps++;
        }
        return steps;
    }

    public static long nested(int n, int m) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                s += (long) i * j;
                if (s == 42) {
                    s++;  // keeps the inner loop non-trivial
                }
            }
        }
        return s;
    }

    /** A counted loop the JIT vectorizes: strip-mined, one check per chunk. */
    public static void scale(int[] a, int[] b, int k) {
        for (int i = 0; i < a.length; i++) {
            a[i] = b[i] * k;
        }
    }

    /** Counted loop with a local bound and {@code <=}. */
    public static long sumTo(int n) {
        long s = 0;
        for (int i = 0; i <= n; i++) {
            s += i;
        }
        return s;
    }

    /** A counted loop long enough to run for seconds: strip-mined, so cancellable within one chunk. */
    public static int countedLong(int[] a) {
        int i = 0;
        for (i = 0; i < Integer.MAX_VALUE - 1; i++) {
            a[i & 1023] += i;
        }
        return i;
    }

    /** A counted loop whose body branches: both versions of the loop keep the branch targets. */
    public static int evenMinusOdd(int[] a) {
        int d = 0;
        for (int i = 0; i < a.length; i++) {
            if ((a[i] & 1) == 0) {
                d++;
            } else {
                d--;
            }
        }
        return d;
    }

    /** A counted loop that calls only constant-time JDK methods ({@code charAt}, {@code Math.min}). */
    public static int matchesCapped(CharSequence s, char c, int cap) {
        int n = 0;
        int len = s.length();
        for (int i = 0; i < len; i++) {
            n = Math.min(cap, n + (s.charAt(i) == c ? 1 : 0));
        }
        return n;
    }

    /** The same loop calling a method of the program's: each iteration is checked. */
    public static int matchesVia(CharSequence s, char c) {
        int n = 0;
        int len = s.length();
        for (int i = 0; i < len; i++) {
            n += same(s.charAt(i), c);
        }
        return n;
    }

    private static int same(char a, char b) {
        return a == b ? 1 : 0;
    }

    /** A counted loop over any int range: its remaining count overflows an int when the range is wide. */
    public static long rangeSum(int from, int to) {
        long s = 0;
        for (int i = from; i < to; i++) {
            s += i;
        }
        return s;
    }

    /** Inclusive bound near the top of the int range. */
    public static long rangeSumInclusive(int from, int to) {
        long s = 0;
        for (int i = from; i <= to; i++) {
            s += i;
        }
        return s;
    }

    public static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    @Checkpoints("entry")
    public static long fibEntry(int n) {
        return n < 2 ? n : fibEntry(n - 1) + fibEntry(n - 2);
    }

    @Checkpoints("backedge/16")
    public static int every16(int n) {
        int c = 0;
        int i = 0;
        while (i < n) {
            i += 1 + (c & 0);
            c++;
        }
        return c;
    }

    @Checkpoints("none")
    public static int noneByAnnotation(int n) {
        int c = 0;
        while (c < n) {
            c += 1 + (c & 0);
        }
        return c;
    }

    public static int lambdaLoop(int n) {
        IntSupplier s = () -> {
            int c = 0;
            while (c < n) {
                c += 1 + (c & 0);
            }
            return c;
        };
        return s.getAsInt();
    }

    /** A state machine: a loop driven by a switch. */
    public static int switchLoop(int n) {
        int state = 0;
        int count = 0;
        while (true) {
            switch (state) {
                case 0 -> state = 1;
                case 1 -> {
                    count++;
                    state = count < n ? 0 : 2;
                }
                default -> {
                    return count;
                }
            }
        }
    }

    /** A loop inside a synchronized block: not checked inside; checked right after the block. */
    public static int loopInSynchronized(int n, List<String> trace) {
        int c = 0;
        synchronized (LOCK) {
            while (c < n) {
                c += 1 + (c & 0);
            }
            trace.add("block done holding=" + Thread.holdsLock(LOCK));
        }
        trace.add("after block");
        return c;
    }

    public static synchronized int synchronizedMethod(int n) {
        int c = 0;
        while (c < n) {
            c += 1 + (c & 0);
        }
        return c;
    }

    @Uncancellable
    public static int uncancellableWithLock(int n) {
        RLOCK.lock();
        try {
            int c = 0;
            while (c < n) {
                c += 1 + (c & 0);
            }
            return c;
        } finally {
            RLOCK.unlock();
        }
    }

    /** Calls with a loop in between, so the check sits in a loop that also calls. */
    public static List<Integer> collect(int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    static {
        // a static initializer with a loop: never instrumented
        int s = 0;
        for (int i = 0; i < 10; i++) {
            s += i * s + 1;
        }
        if (s == 0) {
            stop = true;
        }
    }
}
