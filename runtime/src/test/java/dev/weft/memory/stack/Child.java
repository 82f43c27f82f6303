package dev.weft.memory.stack;

import dev.weft.internal.stack.FrameModel;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.util.concurrent.locks.LockSupport;
import javax.management.ObjectName;

/**
 * The measuring JVM of {@code StackSoundnessTest}: runs each fixture on a virtual thread and, at each checkpoint
 * it parks in, reads the thread's frozen stack from its continuation's stack chunks ({@code
 * jdk.internal.vm.StackChunk}: the words in use, {@code bottom - sp}, and the words allocated) and the chunks'
 * heap bytes from a class histogram (every stack chunk in the JVM, after a full collection: the fixture's, and as a
 * Weft task any the runtime's own virtual threads hold) and, chunk by chunk, from each chunk's allocated words
 * with {@link FrameModel#chunkBytes}. Prints one line per checkpoint:
 * {@code cp ENTRY INDEX USED_WORDS BASE_WORDS CHUNKS SIZE_WORDS HEAP_BYTES MODEL_BYTES}.
 *
 * <p>Needs {@code --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/jdk.internal.vm=ALL-UNNAMED}.
 * With {@code warm} as the first argument, each fixture first runs 20,000 times unarmed so that C2 compiles it; with
 * {@code weft}, each runs as the root task of a Weft runtime (one loop) instead of on a JDK virtual thread.
 */
public final class Child {
    /** The fixtures, by index in {@link #run(int)}. */
    static final String[] ENTRIES = {"chain", "recursion", "mutual", "lambdas", "shapes", "exceptions", "tree"};
    private static final long WAIT_NS = 10_000_000_000L;

    private static boolean weft;
    private static Field cont;
    private static Field tail;
    private static Field parent;
    private static Field size;
    private static Field sp;
    private static Field bottom;

    private Child() {}

    /** Calls one fixture; index -1 is the baseline, which reaches the checkpoint directly. */
    static void run(int which) {
        switch (which) {
            case -1 -> Probe.here();
            case 0 -> Fixtures.chain();
            case 1 -> Fixtures.recursion();
            case 2 -> Fixtures.mutual();
            case 3 -> Fixtures.lambdas();
            case 4 -> Fixtures.shapes();
            case 5 -> Fixtures.exceptions();
            case 6 -> Fixtures.tree();
            default -> throw new IllegalArgumentException("no fixture " + which);
        }
    }

    public static void main(String[] args) throws Exception {
        Class<?> vt = Class.forName("java.lang.VirtualThread");
        cont = open(vt, "cont");
        tail = open(Class.forName("jdk.internal.vm.Continuation"), "tail");
        Class<?> chunk = Class.forName("jdk.internal.vm.StackChunk");
        parent = open(chunk, "parent");
        size = open(chunk, "size");
        sp = open(chunk, "sp");
        bottom = open(chunk, "bottom");
        weft = args.length > 0 && args[0].equals("weft");
        if (args.length > 0 && args[0].equals("warm")) {
            for (int i = 0; i < 20_000; i++) {
                for (int e = -1; e < ENTRIES.length; e++) {
                    run(e);
                }
            }
        }
        long base = Long.MAX_VALUE;
        for (int r = 0; r < 3; r++) {
            base = Math.min(base, measure(-1, "baseline", 0));
        }
        System.out.println("base " + base);
        for (int e = 0; e < ENTRIES.length; e++) {
            measure(e, ENTRIES[e], base);
        }
        System.out.println("done");
    }

    /** Runs fixture {@code which} armed and prints each checkpoint; returns the first checkpoint's used words. */
    private static long measure(int which, String name, long base) throws Exception {
        Probe.armed = true;
        Probe.parked = false;
        Thread runner = weft
                ? Thread.ofPlatform().name("weft-" + name).unstarted(() -> dev.weft.Weft.run(
                        dev.weft.Weft.options().loops(1).handleSigint(false), () -> {
                            run(which);
                            return null;
                        }))
                : Thread.ofVirtual().name("fixture-" + name).unstarted(() -> run(which));
        runner.start();
        Thread t = runner;
        long first = -1;
        int index = 0;
        while (true) {
            long deadline = System.nanoTime() + WAIT_NS;
            while (!(Probe.parked && Probe.thread.getState() == Thread.State.WAITING) && runner.isAlive()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("fixture " + name + " neither parked nor ended in 10 s");
                }
                Thread.onSpinWait();
            }
            if (!Probe.parked) {
                break;
            }
            t = Probe.thread;
            long used = 0;
            long sizeWords = 0;
            long model = 0;
            int chunks = 0;
            for (Object c = tail.get(cont.get(t)); c != null; c = parent.get(c)) {
                used += bottom.getInt(c) - sp.getInt(c);
                sizeWords += size.getInt(c);
                model += FrameModel.chunkBytes(size.getInt(c) - FrameModel.CHUNK_METADATA_WORDS);
                chunks++;
            }
            long heap = which < 0 ? 0 : chunkHeapBytes();
            if (first < 0) {
                first = used;
            }
            System.out.println("cp " + name + " " + index++ + " " + used + " " + base + " " + chunks + " " + sizeWords
                    + " " + heap + " " + model);
            Probe.parked = false;
            LockSupport.unpark(t);
        }
        runner.join();
        Probe.armed = false;
        return first;
    }

    /** The heap bytes of every live stack chunk, from a class histogram (a full collection first). */
    private static long chunkHeapBytes() throws Exception {
        String h = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        for (String line : h.split("\n")) {
            if (line.endsWith("jdk.internal.vm.StackChunk (java.base@" + Runtime.version() + ")")
                    || line.contains(" jdk.internal.vm.StackChunk ")) {
                String[] f = line.trim().split("\\s+");
                return Long.parseLong(f[2]);
            }
        }
        return 0;
    }

    private static Field open(Class<?> c, String name) throws NoSuchFieldException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
