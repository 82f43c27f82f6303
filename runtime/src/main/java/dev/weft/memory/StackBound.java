package dev.weft.memory;

import dev.weft.internal.budget.ByteSizes;
import dev.weft.internal.stack.ClassUniverse;
import dev.weft.internal.stack.FrameModel;
import dev.weft.internal.stack.StackAnalysis;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A bound on the stack of a task, computed from class files before it runs: the worst path of frame sizes over
 * the call graph from its entry method, plus the runtime's frames every task has, in the bytes its virtual
 * thread's stack takes on the heap when it is frozen: {@link #frameBytes()} for the frames, {@link #bytes()} for
 * the stack chunks that hold them (headers, bitmaps, and the room HotSpot leaves in a chunk when it freezes into a
 * new one). Calls the analysis cannot follow and recursions without a declared depth are listed with their
 * location; while there are any, there is no bound.
 *
 * {@snippet class=dev.weft.memory.StackSnippets region=stackBound}
 * MemoryPlan plan = MemoryPlan.builder("server")
 *         .stacks("handler stacks", 64, stack)              // 64 x stack.bytes(), the chunks' heap
 *         .build();
 * }
 *
 * <h2>What is counted</h2>
 * Each method's interpreted frame on HotSpot x86_64, from its {@code max_locals}, {@code max_stack} and monitors
 * (the frame layout's 11 fixed words, checked by a calibration run); compiled frames are smaller, and a frame the
 * compiler inlined has none of its own. Virtual and interface calls: every implementation in the JDK and the
 * class path (class-hierarchy analysis), lambdas through the implementation their {@code invokedynamic} names.
 * With the Weft agent's checks compiled in (the default) every frame on the worst path to any leaf; without them
 * ({@link Analyser#agentChecks}) only frames on the way to a place the virtual thread can freeze (a park, a wait,
 * a monitor).
 * The JDK's frames are counted where the entry calls into the JDK. The runtime's frames beneath the entry (the
 * virtual thread's {@code run}, the continuation's enter frames, Weft's runner) and above the parking point (the
 * park down to the continuation's yield) are a calibrated constant ({@code 256} words), added to every bound.
 *
 * <h2>Frames and chunks</h2>
 * {@link #frameBytes()} bounds the frames on the stack at any freeze. The heap they take is more: HotSpot freezes
 * a stack into a new chunk when the tail chunk has no room for it (or the collector has seen the tail), and keeps
 * the old chunk, with the room its thawed frames left, while it holds a frame. Each chunk holds at least one
 * frame, so there are at most {@link #chunksMax()}, and the {@code i}-th from the bottom holds at most the stack
 * above its start, {@code 11 i} words up. {@link #bytes()} is their sum: the heap bound a memory plan uses.
 *
 * <h2>What is not a bound</h2>
 * {@link #unresolved()} lists, as GNATstack does, every call whose target is unknown (reflection, method handles,
 * bootstraps other than lambdas, classes missing from the class path, calls with no implementation on it) and
 * every recursion without a depth ({@link MaxDepth}); {@link #bytes()} then counts each as nothing and each
 * cycle once, a lower estimate. Native methods and class initialisers add nothing: a virtual thread inside one is
 * pinned to its carrier and never frozen, so those frames never reach the heap.
 *
 * <h2>Exceptions</h2>
 * {@link IllegalArgumentException} from {@link Analyser#analyse} for an entry that does not exist (naming what
 * does) or a class path entry that is neither a directory nor a jar; {@link IllegalStateException} when the
 * analysis visits more methods than {@link Analyser#methodsMax} (naming the ways out), and on a JVM other than
 * HotSpot on x86_64.
 *
 * <h2>Thread safety</h2>
 * Immutable in what it reports (what the entry reaches is walked once, on first use, under a lock); an
 * {@link Analyser} is immutable too, and each call to {@code analyse} is independent.
 */
public final class StackBound {

    /** What kind of site keeps a bound from being one. */
    public enum SiteKind {
        /** A recursion without a declared depth: the report names its cycle. */
        RECURSION,
        /** {@code Method.invoke}, {@code Constructor.newInstance}: the target is a run-time value. */
        REFLECTION,
        /** {@code MethodHandle.invoke*}: the target is a run-time value. */
        METHOD_HANDLE,
        /** An {@code invokedynamic} other than a lambda or a concatenation of strings and primitives. */
        INVOKEDYNAMIC,
        /** A class (or method) the call names is neither in the JDK nor on the class path. */
        MISSING_CLASS,
        /** A virtual call no class on the class path implements (a proxy, or a class made at run time). */
        NO_IMPLEMENTATION
    }

    /**
     * One step of the worst path: a frame, or a bounded recursion, or a declared size.
     *
     * {@snippet class=dev.weft.memory.StackSnippets region=frame}
     * }
     *
     * @param method      {@code pkg.Class.name(descriptor)}, or the methods of a recursion, or a declared key
     * @param bytesEach   the bytes of one activation (for a recursion, its total over its activations)
     * @param activations how many activations: 1, or the declared depths of a recursion summed
     * @param totalBytes  what the step adds to the bound
     * @param callSite    where it calls the next step, {@code pkg.Class.name(File.java:42)}; null for the last
     * @param note        why a step is what it is ({@code declared depth}, {@code declared size}), or null
     */
    public record Frame(String method, long bytesEach, long activations, long totalBytes, String callSite, String note) {}

    /**
     * A call the bound does not cover, or a recursion without a depth.
     *
     * {@snippet class=dev.weft.memory.StackSnippets region=site}
     * }
     *
     * @param kind     what it is
     * @param location {@code pkg.Class.name(File.java:42)}
     * @param target   what it calls (for a recursion: the cycle, {@code a -> b -> a})
     * @param fix      how to make the bound cover it
     */
    public record Site(SiteKind kind, String location, String target, String fix) {}

    private final String entry;
    private final long taskFrameBytes;
    private final long frameBytes;
    private final long chunksMax;
    private final long bytes;
    private final List<Frame> worstPath;
    private final boolean bounded;
    private final java.util.function.Supplier<StackAnalysis.Reach> reachSource;
    private final int methodsVisited;
    /** What the entry reaches, walked on first use; guarded by this. */
    private StackAnalysis.Reach reach;
    private List<Site> unresolved;

    private StackBound(String entry, StackAnalysis.Result r) {
        this.entry = entry;
        long words = r.frameWords() + FrameModel.RUNTIME_FRAME_WORDS;
        this.taskFrameBytes = r.frameWords() * FrameModel.WORD_BYTES;
        this.frameBytes = words * FrameModel.WORD_BYTES;
        this.chunksMax = FrameModel.chunksMax(words);
        this.bytes = FrameModel.chunkHeapBytes(words);
        List<Frame> path = new ArrayList<>(r.path().size());
        for (StackAnalysis.Step s : r.path()) {
            path.add(new Frame(s.method(), s.bytesEach(), s.activations(), s.totalBytes(), s.callSite(), s.note()));
        }
        this.worstPath = List.copyOf(path);
        this.bounded = r.bounded();
        this.reachSource = r.reach();
        this.methodsVisited = r.methodsVisited();
    }

    /** An analyser over this JVM's class path ({@code java.class.path}) and the JDK. */
    public static Analyser analyser() {
        List<Path> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!e.isBlank()) {
                cp.add(Path.of(e));
            }
        }
        return new Analyser(cp, Set.of("java.base"), Map.of(), Map.of(), Analyser.METHODS_MAX_DEFAULT,
                Analyser.CLASSES_MAX_DEFAULT, true);
    }

    /**
     * How to analyse: the class path, declared recursion depths and sizes, limits. Immutable: each {@code with}
     * method returns a new analyser.
     *
     * {@snippet class=dev.weft.memory.StackSnippets region=analyser}
     */
    public static final class Analyser {
        /** The default bound on methods visited per entry. */
        public static final int METHODS_MAX_DEFAULT = 200_000;
        /** The default bound on class path classes indexed (the JDK's are not counted). */
        public static final int CLASSES_MAX_DEFAULT = 200_000;

        private final List<Path> classPath;
        private final Set<String> modules;
        private final Map<String, Integer> depths;
        private final Map<String, Long> declared;
        private final int methodsMax;
        private final int classesMax;
        private final boolean agentChecks;

        private Analyser(List<Path> classPath, Set<String> modules, Map<String, Integer> depths,
                Map<String, Long> declared, int methodsMax, int classesMax, boolean agentChecks) {
            this.classPath = List.copyOf(classPath);
            this.modules = Set.copyOf(modules);
            this.depths = Map.copyOf(depths);
            this.declared = Map.copyOf(declared);
            this.methodsMax = methodsMax;
            this.classesMax = classesMax;
            this.agentChecks = agentChecks;
        }

        /** Analyses against {@code entries} (directories and jars) and the JDK, instead of this JVM's class path. */
        public Analyser classPath(List<Path> entries) {
            return new Analyser(entries, modules, depths, declared, methodsMax, classesMax, agentChecks);
        }

        /**
         * Adds JDK modules to the universe (only {@code java.base} by default). A call to a class of a module
         * left out is reported ({@link SiteKind#MISSING_CLASS}, naming the module); objects of such classes are
         * assumed not to reach the entry through a virtual call.
         */
        public Analyser modules(Set<String> jdkModules) {
            Set<String> m = new java.util.HashSet<>(modules);
            m.addAll(jdkModules);
            return new Analyser(classPath, m, depths, declared, methodsMax, classesMax, agentChecks);
        }

        /**
         * Declares that {@code method} ({@code pkg.Class#name}, every overload) is at most {@code depth} deep on
         * one stack, as {@link MaxDepth} does in its source.
         */
        public Analyser maxDepth(String method, int depth) {
            checkKey(method);
            if (depth < 1) {
                throw new IllegalArgumentException("depth of " + method + " must be at least 1, got " + depth);
            }
            Map<String, Integer> d = new LinkedHashMap<>(depths);
            d.put(method, depth);
            return new Analyser(classPath, modules, d, declared, methodsMax, classesMax, agentChecks);
        }

        /**
         * Declares that a call to {@code method} ({@code pkg.Class#name}: every overload, every implementation of
         * it a virtual call selects) takes at most {@code bytes} of stack, frames beneath it included; the analysis
         * then does not follow it. For calls the analysis cannot follow, and for calls with too many
         * implementations to follow.
         */
        public Analyser declare(String method, long bytes) {
            checkKey(method);
            if (bytes < 0) {
                throw new IllegalArgumentException("declared stack of " + method + " must be >= 0, got " + bytes);
            }
            Map<String, Long> d = new LinkedHashMap<>(declared);
            d.put(method, bytes);
            return new Analyser(classPath, modules, depths, d, methodsMax, classesMax, agentChecks);
        }

        /**
         * Whether the task runs with the Weft agent's checks compiled in (the default: {@code weft run} loads the
         * agent). A check's slow path walks the stack and may block on a monitor (class loading), so with the
         * agent every method is a place the virtual thread can freeze, and every frame on the worst path counts.
         * Without it ({@code false}: a JDK virtual thread, or Weft without the agent) only frames on the way to a
         * freeze count: into the continuation's yield (every park), {@code Object.wait}, a monitor, a declared
         * size or a call the analysis cannot follow; a call that returns before any of them leaves no frame on
         * the heap.
         */
        public Analyser agentChecks(boolean compiledIn) {
            return new Analyser(classPath, modules, depths, declared, methodsMax, classesMax, compiledIn);
        }

        /** Bounds the methods one entry's analysis visits (default {@value #METHODS_MAX_DEFAULT}). */
        public Analyser methodsMax(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("methodsMax must be at least 1, got " + max);
            }
            return new Analyser(classPath, modules, depths, declared, max, classesMax, agentChecks);
        }

        /** Bounds the class path classes indexed (default {@value #CLASSES_MAX_DEFAULT}). */
        public Analyser classesMax(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("classesMax must be at least 1, got " + max);
            }
            return new Analyser(classPath, modules, depths, declared, methodsMax, max, agentChecks);
        }

        /**
         * The bound for {@code entry}: {@code pkg.Class#method}, or with a descriptor
         * ({@code pkg.Class#method(I)V}); without one, the costliest overload. A lambda is its implementation
         * method ({@code pkg.Class#lambda$main$0}).
         */
        public StackBound analyse(String entry) {
            return analyse(List.of(entry)).get(0);
        }

        /** The bounds for several entries, sharing one index of the class path and what was read of it. */
        public List<StackBound> analyse(List<String> entries) {
            if (!FrameModel.supported()) {
                throw new IllegalStateException(FrameModel.unsupportedReason());
            }
            List<StackBound> out = new ArrayList<>(entries.size());
            try (ClassUniverse universe = new ClassUniverse(classPath, modules, classesMax)) {
                StackAnalysis analysis = new StackAnalysis(universe,
                        new StackAnalysis.Options(depths, declared, methodsMax, agentChecks));
                List<StackAnalysis.Entry> parsed = new ArrayList<>(entries.size());
                for (String e : entries) {
                    int hash = e.indexOf('#');
                    if (hash <= 0 || hash == e.length() - 1) {
                        throw new IllegalArgumentException("entry '" + e + "' is not CLASS#METHOD (e.g."
                                + " com.example.Handler#handle, or com.example.Handler#handle(I)V)");
                    }
                    String method = e.substring(hash + 1);
                    int paren = method.indexOf('(');
                    parsed.add(new StackAnalysis.Entry(e.substring(0, hash).replace('.', '/'),
                            paren < 0 ? method : method.substring(0, paren), paren < 0 ? null : method.substring(paren)));
                }
                List<StackAnalysis.Result> results;
                try {
                    results = analysis.analyse(parsed);
                } catch (StackAnalysis.LimitException x) {
                    throw new IllegalStateException("stack of " + (entries.size() == 1 ? entries.get(0)
                            : entries.size() + " entries") + ": " + x.getMessage(), x);
                }
                for (int i = 0; i < entries.size(); i++) {
                    out.add(new StackBound(entries.get(i), results.get(i)));
                }
            }
            return List.copyOf(out);
        }

        private static void checkKey(String method) {
            if (method == null || method.indexOf('#') <= 0 || method.endsWith("#")) {
                throw new IllegalArgumentException("'" + method + "' is not CLASS#METHOD, e.g. java.lang.Object#hashCode");
            }
        }
    }

    /** The entry analysed, as given. */
    public String entry() {
        return entry;
    }

    /** Whether this is a bound: no unresolved call and no recursion without a depth is reachable. */
    public boolean isBounded() {
        return bounded;
    }

    private synchronized StackAnalysis.Reach reach() {
        if (reach == null) {
            reach = reachSource.get();
            List<Site> sites = new ArrayList<>(reach.sites().size());
            for (StackAnalysis.Site s : reach.sites()) {
                sites.add(new Site(SiteKind.valueOf(s.kind()), s.location(), s.target(), s.fix()));
            }
            unresolved = List.copyOf(sites);
        }
        return reach;
    }

    /**
     * The bound on the heap the task's frozen stack takes: the frames of {@link #frameBytes()} in at most
     * {@link #chunksMax()} stack chunks, each with its header, metadata, lock stack and bitmap, and the room a thaw
     * left in it (see "Frames and chunks" above). What a memory plan counts. A lower estimate unless
     * {@link #isBounded()}.
     */
    public long bytes() {
        return bytes;
    }

    /** The bound on the frames of the whole stack: {@link #taskFrameBytes()} plus the runtime's frames. */
    public long frameBytes() {
        return frameBytes;
    }

    /** The bound on the task's own frames (the worst path's total plus the entry's arguments). */
    public long taskFrameBytes() {
        return taskFrameBytes;
    }

    /** The most stack chunks the frozen stack can take at once (one per 11 words of {@link #frameBytes()}). */
    public long chunksMax() {
        return chunksMax;
    }

    /** The worst path, from the entry to the costliest leaf. */
    public List<Frame> worstPath() {
        return worstPath;
    }

    /** Every unresolved call and undeclared recursion reachable from the entry (at most 10,000 kept). */
    public List<Site> unresolved() {
        reach();
        return unresolved;
    }

    /** How many native methods are reachable (each adds nothing, see the class comment). */
    public int nativeMethods() {
        return reach().nativeCalls();
    }

    /** How many methods the entry reaches. */
    public int methodsReached() {
        return reach().methods();
    }

    /** How many methods the analysis visited (for several entries analysed together: all of them). */
    public int methodsVisited() {
        return methodsVisited;
    }

    /** A report to act on: the bound, the worst path frame by frame, each unresolved site with its fix. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        if (isBounded()) {
            sb.append("stack bound of ").append(entry).append(": ").append(ByteSizes.format(bytes)).append(" (")
                    .append(bytes).append(" bytes of stack chunks, at most ").append(chunksMax).append(", for ")
                    .append(frameBytes).append(" bytes of frames: ").append(taskFrameBytes)
                    .append(" the task's, ").append(frameBytes - taskFrameBytes).append(" the runtime's)\n");
        } else {
            sb.append("NO stack bound for ").append(entry).append(": ")
                    .append(unresolved().size() + reach().sitesDropped()).append(" site(s) below keep it from one (counting"
                            + " them as nothing gives ").append(ByteSizes.format(bytes)).append(", a lower estimate)\n");
        }
        sb.append("worst path (HotSpot x86_64 interpreted frames):\n");
        sb.append(String.format(Locale.ROOT, "  %10s %6s  %s%n", "bytes", "times", "frame  [calls the next at]"));
        for (Frame f : worstPath) {
            sb.append(String.format(Locale.ROOT, "  %10d %6d  %s", f.totalBytes(), f.activations(), f.method()));
            if (f.note() != null) {
                sb.append("  (").append(f.note()).append(')');
            }
            if (f.callSite() != null) {
                sb.append("  [").append(f.callSite()).append(']');
            }
            sb.append('\n');
        }
        sb.append(String.format(Locale.ROOT, "  %10d %6s  %s%n", entryArgumentBytes(), "", "the entry's arguments"));
        sb.append(String.format(Locale.ROOT, "  %10d %6s  %s%n", frameBytes - taskFrameBytes, "",
                "the runtime's frames beneath the entry and above the park (calibrated)"));
        sb.append(String.format(Locale.ROOT, "  %10d %6s  %s%n", bytes - frameBytes, "",
                "at most " + chunksMax + " stack chunks: headers, metadata, lock stacks, bitmaps and the room thaws left"));
        StackAnalysis.Reach r = reach();
        if (!unresolved.isEmpty()) {
            sb.append("unresolved (").append(unresolved.size() + r.sitesDropped()).append("):\n");
            for (Site s : unresolved) {
                sb.append("  ").append(s.kind()).append(" at ").append(s.location()).append(": ").append(s.target())
                        .append("\n      fix: ").append(s.fix()).append('\n');
            }
            if (r.sitesDropped() > 0) {
                sb.append("  ... and ").append(r.sitesDropped()).append(" more\n");
            }
        }
        sb.append("native methods reachable: ").append(r.nativeCalls())
                .append(" (none adds to the bound: a virtual thread in a native frame is pinned, never frozen)\n");
        sb.append("methods reached: ").append(r.methods()).append('\n');
        return sb.toString();
    }

    private long entryArgumentBytes() {
        long path = 0;
        for (Frame f : worstPath) {
            path += f.totalBytes();
        }
        return taskFrameBytes - path;
    }

    @Override
    public String toString() {
        return "StackBound[" + entry + ", " + (isBounded() ? "" : "NOT BOUNDED, ") + ByteSizes.format(bytes) + "]";
    }
}
