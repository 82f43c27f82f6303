package dev.weft.internal.stack;

import dev.weft.internal.stack.MethodFacts.Call;
import dev.weft.internal.stack.MethodFacts.CallKind;
import dev.weft.internal.stack.MethodFacts.ClassFacts;
import dev.weft.internal.stack.MethodFacts.Lambda;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The stack analysis: from an entry method, the worst path of interpreted frame sizes over the call graph, with
 * every call whose target is not known statically and every recursion reported.
 *
 * <h2>Implementation overview</h2>
 * One pass of Tarjan's strongly connected components algorithm over the call graph, built lazily from the
 * entry (an explicit stack, no recursion: call chains are deep). Tarjan emits a component only after every
 * component it calls, so each component's cost is computed once, when it is emitted, from its callees' final
 * costs: a method outside any cycle costs its frame plus its costliest call; a cycle costs what its declared
 * depths allow (below), or is unbounded. Only calls in which the virtual thread can freeze count, and a method in
 * which it cannot, nor in any call, costs nothing (its frames never reach the heap): it freezes in a monitor it
 * enters, in the continuation's yield or {@code Object.wait}, at an unresolved call or a declared size, or, with
 * {@link Options#everyMethodFreezes} (the agent's checks compiled in), anywhere. Call targets:
 * <ul>
 * <li>{@code invokestatic}, {@code invokespecial}: the resolved method (JVMS 5.4.3.3).</li>
 * <li>{@code invokevirtual}, {@code invokeinterface}: class-hierarchy analysis, every concrete subtype of the
 *     reference's class in the universe (the JDK and the class path) selects its implementation; plus every
 *     lambda whose interface is a subtype and whose method has the name, through a frame for the class the JDK
 *     spins for it.</li>
 * <li>{@code invokedynamic}: a {@code LambdaMetafactory} site only creates the lambda (its frames run no code
 *     that can park) and registers it as an implementation; string concatenation of primitives and strings
 *     likewise; with object arguments it calls their {@code toString} through method handles, reported.</li>
 * <li>Reflection ({@code Method.invoke}, {@code Constructor.newInstance}), {@code MethodHandle.invoke*}, other
 *     bootstraps, classes missing from the universe, virtual calls without an implementation in it: reported
 *     as unresolved, costing nothing in the bound.</li>
 * <li>Native methods, class initialisers and {@code VarHandle} accesses cost nothing: a virtual thread inside a
 *     native frame or a class initialiser is pinned and cannot be frozen, so its frames never reach the heap; a
 *     {@code VarHandle} access runs no code that can park.</li>
 * </ul>
 * A lambda found after a call to its interface was already resolved would be missed by that call, so the pass
 * is repeated, with every lambda found so far known from the start, until no lambda comes late (at most
 * {@link #ROUNDS_MAX} passes).
 *
 * <h2>Cycles</h2>
 * A cycle needs a declared depth (the {@code @MaxDepth} annotation, or one given to the analysis): the most
 * activations of that method on one stack. In a component whose methods with a depth are {@code A} (depths
 * {@code d(a)}, summing to {@code D}), every cycle must pass through {@code A}, so the rest of the component is
 * acyclic, with a costliest path {@code L}; a stack inside the component is at most {@code D} activations of
 * {@code A} separated by such paths, so it costs at most {@code sum d(a) frame(a) + (D + 1) L}, plus the
 * costliest call leaving the component. Otherwise the cycle is reported and counted once.
 *
 * <h2>Limits</h2>
 * At most {@code methodsMax} methods visited; past it {@link LimitException} names the entry, the count and the
 * two ways out (declare the costly call, raise the limit). At most {@link #SITES_MAX} sites kept.
 *
 * <h2>Thread safety</h2>
 * Confined to one thread.
 */
public final class StackAnalysis {
    /** The most passes until no lambda is found late. */
    static final int ROUNDS_MAX = 8;
    /** The most unresolved sites kept in a result; the rest are counted. */
    static final int SITES_MAX = 10_000;

    /** The analysis visited more methods than its limit. */
    public static final class LimitException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LimitException(String message) {
            super(message);
        }
    }

    /**
     * One frame (or one bounded recursion) of the worst path.
     *
     * @param method      the method, {@code pkg.Class.name(descriptor)}, or the cycle
     * @param bytesEach   the bytes of one activation (of the whole cycle, for a recursion)
     * @param activations how many activations ({@code 1} outside cycles; the summed depth for a recursion)
     * @param totalBytes  what this step adds to the bound
     * @param callSite    where this step calls the next, {@code pkg.Class.name(File.java:42)}, or null at the end
     * @param note        why the step is what it is (a recursion's declared depth, a declared size), or null
     */
    public record Step(String method, long bytesEach, long activations, long totalBytes, String callSite, String note) {}

    /**
     * A call site the bound does not cover, or a recursion without a declared depth.
     *
     * @param kind     what it is: {@code RECURSION}, {@code REFLECTION}, {@code METHOD_HANDLE},
     *                 {@code INVOKEDYNAMIC}, {@code MISSING_CLASS}, {@code NO_IMPLEMENTATION}
     * @param location where, {@code pkg.Class.name(File.java:42)}
     * @param target   what it calls (the cycle, for a recursion)
     * @param fix      how to make the bound cover it
     */
    public record Site(String kind, String location, String target, String fix) {}

    /**
     * The outcome for one entry.
     *
     * @param frameWords     the bound on the entry's frames, in words (with unresolved calls and undeclared cycles
     *                       counted as nothing and once: then a lower estimate)
     * @param path           the worst path, entry first
     * @param sites          the unresolved calls and undeclared cycles reachable from the entry
     * @param sitesDropped   how many more there were beyond {@link #SITES_MAX}
     * @param nativeCalls    how many distinct native methods are reachable (they cost nothing, see above)
     * @param methodsVisited how many methods the analysis visited
     */
    public record Result(long frameWords, boolean bounded, List<Step> path,
            java.util.function.Supplier<Reach> reach, int methodsVisited) {}

    /**
     * What an entry reaches, computed on demand (a walk of its part of the graph).
     *
     * @param sites        the unresolved calls and undeclared cycles reachable from the entry
     * @param sitesDropped how many more there were beyond {@link #SITES_MAX}
     * @param nativeCalls  how many distinct native methods are reachable (they cost nothing)
     * @param methods      how many methods are reachable
     */
    public record Reach(List<Site> sites, int sitesDropped, int nativeCalls, int methods) {}

    /** Options: declared depths and sizes by {@code pkg.Class#method} (binary names), and the visit limit. */
    public record Options(Map<String, Integer> depths, Map<String, Long> declaredBytes, int methodsMax,
            boolean everyMethodFreezes) {}

    private static final int UNVISITED = -1;

    /** A method in the graph (or a spun lambda class's forwarding method). */
    private static final class Node {
        final MethodFacts facts;
        final String source;
        final String display;
        /** The call sites with their targets, built when the node is first visited. */
        List<Edge> edges;
        int index = UNVISITED;
        int low;
        boolean onStack;
        /** Final once the node's component is emitted. */
        long cost;
        Scc scc;
        /** The call this node's cost continues through (outside cycles), or null. */
        Edge next;
        Node nextTarget;
        /** The unresolved sites of this method's own calls (and its cycle's, on one node of it). */
        final List<Site> sites = new ArrayList<>(0);
        /** Whether an unresolved site or an undeclared cycle is reachable from here; final with the cost. */
        boolean unresolved;
        /** Whether it calls a native that freezes its virtual thread ({@link #freezesInNative}); set with its edges. */
        boolean yields;
        /** Whether a call it makes can freeze the virtual thread; final with the cost. */
        boolean callFreezes;
        /** Whether its virtual thread can freeze with this frame on the stack (in it or in a call); final with the cost. */
        boolean freezes;
        /** The native methods its calls reach directly. */
        final List<String> natives = new ArrayList<>(0);

        Node(MethodFacts facts, String source, String display) {
            this.facts = facts;
            this.source = source;
            this.display = display;
        }
    }

    /**
     * A call site with its targets, or a declared size (then no targets). {@code ownLockIgnored}: the targets lock
     * an object no other thread can hold yet, so only their calls can freeze.
     */
    private record Edge(Call call, String location, List<Node> targets, long declaredWords, String declaredKey,
            boolean ownLockIgnored) {
        Edge(Call call, String location, List<Node> targets, long declaredWords, String declaredKey) {
            this(call, location, targets, declaredWords, declaredKey, false);
        }

        /** Whether the virtual thread can freeze in this call to {@code t}. */
        boolean freezesIn(Node t) {
            return ownLockIgnored ? t.callFreezes : t.freezes;
        }
    }

    /**
     * The natives in which a virtual thread freezes: the continuation's yield (every park, sleep and blocking I/O of
     * a virtual thread ends in it) and {@code Object.wait} (since JDK 24 it unmounts instead of pinning).
     */
    static boolean freezesInNative(String owner, String name) {
        return (owner.equals("jdk/internal/vm/Continuation") && name.equals("doYield"))
                || (owner.equals("java/lang/Object") && name.equals("wait0"));
    }

    /**
     * Throwable's constructors call {@code fillInStackTrace()}, which is synchronized (and so are overrides such as
     * {@code NullPointerException}'s), on the exception they are constructing: no other thread can have seen it, so
     * the lock is never contended and never freezes. An override's {@code super.fillInStackTrace()} locks the
     * object its own call already holds: never contended either.
     */
    private static boolean locksOnlyItself(MethodFacts from, Call c) {
        boolean fill = c.name().equals("fillInStackTrace") && c.desc().equals("()Ljava/lang/Throwable;");
        return fill && ((from.owner().equals("java/lang/Throwable") && from.name().equals("<init>"))
                || (from.name().equals("fillInStackTrace") && from.desc().equals("()Ljava/lang/Throwable;")
                        && c.kind() == CallKind.SPECIAL));
    }

    /** A cycle's component, once costed. */
    private static final class Scc {
        List<Node> nodes;
        boolean bounded;
        long depthSum;
        long cycleWords;
        Edge exit;
        Node exitTarget;
        String description;
    }

    /**
     * The JDK's class facts, shared by every analysis in the process (the image does not change; softly held, so
     * a collection under pressure drops them). At most one entry per JDK class.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, java.lang.ref.SoftReference<ClassFacts>>
            JDK_FACTS = new java.util.concurrent.ConcurrentHashMap<>();
    /** The lambdas of the JDK's classes, by the set of modules in the universe (a handful of sets at most). */
    private static final java.util.concurrent.ConcurrentHashMap<Set<String>, List<Lambda>> JDK_LAMBDAS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final ClassUniverse universe;
    private final Options options;
    private final Map<String, ClassFacts> classFacts = new HashMap<>();
    /** Lambdas found so far by interface, kept across passes (and across entries: the universe is the same). */
    private final Map<String, List<Lambda>> lambdas = new HashMap<>();
    private final Set<Lambda> lambdaSet = new HashSet<>();
    private final Map<String, Set<String>> subtypes = new HashMap<>();

    // per pass
    private Map<String, Node> nodes;
    private Map<String, List<Node>> chaCache;
    /** The keys of {@link #chaCache} whose call no class implements (each caller gets its site). */
    private Set<String> chaUnimplemented;
    /** The node whose edges are being built (sites and natives go to it). */
    private Node building;
    private int nextIndex;
    private boolean lateLambda;
    /** (interface or class) + '.' + name of every virtual call resolved in this pass. */
    private Set<String> queried;

    public StackAnalysis(ClassUniverse universe, Options options) {
        this.universe = universe;
        this.options = options;
    }

    /** An entry: a class (internal name), a method name, and a descriptor or null (every overload). */
    public record Entry(String owner, String name, String desc) {}

    /**
     * Analyses each entry (with a null descriptor: the costliest overload), over one graph: what one entry's
     * analysis visited is not visited again for the next.
     *
     * @throws IllegalArgumentException if an entry does not exist (naming what does)
     * @throws LimitException           past the visit limit (over all the entries)
     */
    public List<Result> analyse(List<Entry> entries) {
        registerAllLambdas();
        for (int round = 0; round < ROUNDS_MAX; round++) {
            reset();
            List<Result> out = new ArrayList<>(entries.size());
            for (Entry e : entries) {
                out.add(one(e.owner(), e.name(), e.desc()));
                if (lateLambda) {
                    break;
                }
            }
            if (!lateLambda) {
                return out;
            }
        }
        throw new IllegalStateException("the stack analysis found new lambdas in each of " + ROUNDS_MAX
                + " passes; report this with the class path");
    }

    /**
     * Registers every lambda of every class in the universe before the first pass, so that no pass finds one
     * late (with one entry, a late lambda costs a pass; with thousands, a pass each).
     */
    private void registerAllLambdas() {
        if (!lambdas.isEmpty()) {
            return;
        }
        List<Lambda> jdk = JDK_LAMBDAS.get(universe.jdkModules());
        if (jdk == null) {
            List<Lambda> found = new ArrayList<>();
            for (String c : universe.classNames()) {
                ClassUniverse.ClassInfo info = universe.info(c);
                if (universe.isJdk(info)) {
                    MethodFacts.lambdas(universe.bytes(info), found);
                }
            }
            jdk = List.copyOf(found);
            JDK_LAMBDAS.putIfAbsent(universe.jdkModules(), jdk);
        }
        List<Lambda> all = new ArrayList<>(jdk);
        for (String c : universe.classNames()) {
            ClassUniverse.ClassInfo info = universe.info(c);
            if (!universe.isJdk(info)) {
                MethodFacts.lambdas(universe.bytes(info), all);
            }
        }
        for (Lambda l : all) {
            if (lambdaSet.add(l)) {
                lambdas.computeIfAbsent(l.iface(), k -> new ArrayList<>()).add(l);
            }
        }
    }

    private void reset() {
        nodes = new HashMap<>();
        chaCache = new HashMap<>();
        chaUnimplemented = new HashSet<>();
        queried = new HashSet<>();
        nextIndex = 0;
        lateLambda = false;
    }

    private Result one(String owner, String name, String desc) {
        ClassUniverse.ClassInfo info = universe.info(owner);
        if (info == null) {
            throw new IllegalArgumentException("class " + owner.replace('/', '.') + " is neither in the JDK nor on the"
                    + " class path; pass its directory or jar with -cp");
        }
        ClassFacts cf = facts(info);
        List<MethodFacts> entries = new ArrayList<>();
        for (MethodFacts m : cf.methods().values()) {
            if (m.name().equals(name) && (desc == null || m.desc().equals(desc)) && !m.isAbstract()) {
                entries.add(m);
            }
        }
        if (entries.isEmpty()) {
            Set<String> names = new java.util.TreeSet<>();
            cf.methods().values().forEach(m -> names.add(m.name()));
            throw new IllegalArgumentException("class " + owner.replace('/', '.') + " has no method " + name
                    + (desc == null ? "" : desc) + " with code; its methods: " + names);
        }
        Node best = null;
        long bestWords = -1;
        List<Node> roots = new ArrayList<>();
        for (MethodFacts m : entries) {
            if (m.isNative()) {
                continue;
            }
            Node n = node(m, cf.sourceFile());
            visit(n);
            roots.add(n);
            long words = n.cost + m.argSlots();
            if (words > bestWords) {
                bestWords = words;
                best = n;
            }
        }
        if (best == null) {
            return new Result(0, true, List.of(), () -> new Reach(List.of(), 0, 1, 0), nodes.size());
        }
        boolean unresolved = false;
        for (Node r : roots) {
            unresolved |= r.unresolved;
        }
        return new Result(bestWords, !unresolved, path(best), () -> reach(roots), nodes.size());
    }

    /** Walks what {@code roots} reach: their sites and natives. */
    private static Reach reach(List<Node> roots) {
        Map<String, Site> reached = new LinkedHashMap<>();
        Set<String> nativesReached = new HashSet<>();
        Set<Node> seen = new HashSet<>(roots);
        ArrayDeque<Node> work = new ArrayDeque<>(roots);
        int dropped = 0;
        while (!work.isEmpty()) {
            Node v = work.pop();
            for (Site st : v.sites) {
                String k = st.kind() + " " + st.location() + " " + st.target();
                if (reached.size() < SITES_MAX) {
                    reached.putIfAbsent(k, st);
                } else if (!reached.containsKey(k)) {
                    dropped++;
                }
            }
            nativesReached.addAll(v.natives);
            for (Edge e : v.edges) {
                for (Node t : e.targets()) {
                    if (seen.add(t)) {
                        work.push(t);
                    }
                }
            }
        }
        return new Reach(List.copyOf(reached.values()), dropped, nativesReached.size(), seen.size());
    }

    // ---- the graph

    private ClassFacts facts(ClassUniverse.ClassInfo info) {
        ClassFacts f = classFacts.get(info.name());
        if (f == null) {
            boolean jdk = universe.isJdk(info);
            java.lang.ref.SoftReference<ClassFacts> cached = jdk ? JDK_FACTS.get(info.name()) : null;
            f = cached == null ? null : cached.get();
            if (f == null) {
                f = MethodFacts.read(universe.bytes(info));
                if (jdk) {
                    JDK_FACTS.put(info.name(), new java.lang.ref.SoftReference<>(f));
                }
            }
            classFacts.put(info.name(), f);
        }
        return f;
    }

    private MethodFacts declared(String owner, String nameDesc) {
        ClassUniverse.ClassInfo info = universe.info(owner);
        return info == null ? null : facts(info).methods().get(nameDesc);
    }

    private Node node(MethodFacts m, String source) {
        String key = m.owner() + "." + m.name() + m.desc();
        Node n = nodes.get(key);
        if (n == null) {
            if (nodes.size() >= options.methodsMax()) {
                throw new LimitException("the stack analysis visited " + options.methodsMax() + " methods, its limit;"
                        + " calls with many implementations (Object.hashCode or Runnable.run on an unknown receiver)"
                        + " pull in much of the JDK: declare their stack with --declare CLASS#METHOD=BYTES"
                        + " (StackBound.Analyser.declare), or raise the limit (--methods-max, methodsMax)");
            }
            n = new Node(m, source, m.owner().replace('/', '.') + "." + m.name() + m.desc());
            nodes.put(key, n);
        }
        return n;
    }

    private Node lambdaNode(Lambda l) {
        String key = "lambda " + l.iface() + "." + l.samName() + " -> " + l.implOwner() + "." + l.implName() + l.implDesc();
        Node n = nodes.get(key);
        if (n == null) {
            Call forward = switch (l.implKind()) {
                case STATIC, INTERFACE_STATIC -> new Call(CallKind.STATIC, l.implOwner(), l.implName(), l.implDesc(),
                        false, -1, null);
                case VIRTUAL, INTERFACE_VIRTUAL -> new Call(CallKind.VIRTUAL, l.implOwner(), l.implName(),
                        l.implDesc(), l.implKind() == java.lang.constant.DirectMethodHandleDesc.Kind.INTERFACE_VIRTUAL,
                        -1, null);
                default -> new Call(CallKind.SPECIAL, l.implOwner(), l.implName(), l.implDesc(), false, -1, null);
            };
            MethodFacts facts = new MethodFacts(l.iface(), l.samName(), "(lambda)", false, false, false, false, false,
                    l.frameWords(),
                    0, -1, List.of(forward));
            n = new Node(facts, null, "lambda " + l.iface().replace('/', '.') + "." + l.samName() + " (a class the JDK"
                    + " spins, calling " + l.implOwner().replace('/', '.') + "." + l.implName() + ")");
            nodes.put(key, n);
        }
        return n;
    }

    private String location(Node from, Call c) {
        String cls = from.facts.owner().replace('/', '.');
        String where = from.source == null ? "Unknown Source" : from.source + (c.line() >= 0 ? ":" + c.line() : "");
        return cls + "." + from.facts.name() + "(" + where + ")";
    }

    private List<Edge> edges(Node from) {
        List<Edge> out = new ArrayList<>(from.facts.calls().size());
        Set<List<Node>> sharedLists = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Call c : from.facts.calls()) {
            String loc = location(from, c);
            if (freezesInNative(c.owner(), c.name())) {
                from.yields = true;
            }
            Long declared = declaredBytes(c.owner(), c.name());
            if (declared != null) {
                out.add(new Edge(c, loc, List.of(), words(declared), key(c.owner(), c.name())));
                continue;
            }
            List<Node> targets = switch (c.kind()) {
                case STATIC, SPECIAL -> exact(c, loc);
                case VIRTUAL -> virtual(c, loc);
                case LAMBDA -> {
                    register(c.lambda());
                    yield List.of();
                }
                case CONCAT_PLAIN -> List.of();
                case CONCAT_OBJECTS -> {
                    site("INVOKEDYNAMIC", loc, "string concatenation with object arguments (their toString() through"
                            + " method handles)", "concatenate strings only (String.valueOf(x) first, then +), or declare"
                            + " the method containing it with --declare");
                    yield List.of();
                }
                case INDY_OTHER -> {
                    site("INVOKEDYNAMIC", loc, "invokedynamic bootstrapped by " + c.owner().replace('/', '.') + "."
                            + c.name(), "declare the method containing it with --declare CLASS#METHOD=BYTES");
                    yield List.of();
                }
            };
            if (targets.isEmpty()) {
                continue;
            }
            // with the agent, the targets can freeze at their own checks: nothing to ignore
            boolean ownLockIgnored = !options.everyMethodFreezes() && locksOnlyItself(from.facts, c);
            if (options.declaredBytes().isEmpty()) {
                // a second call with the same (shared, cached) targets adds nothing to the cost or the path
                if (ownLockIgnored) {
                    out.add(new Edge(c, loc, targets, -1, null, true));
                } else if (sharedLists.add(targets)) {
                    out.add(new Edge(c, loc, targets, -1, null));
                }
                continue;
            }
            long declaredTarget = -1;
            String declaredKey = null;
            List<Node> kept = new ArrayList<>(targets.size());
            for (Node t : targets) {
                Long d = declaredBytes(t.facts.owner(), t.facts.name());
                if (d != null) {
                    if (words(d) > declaredTarget) {
                        declaredTarget = words(d);
                        declaredKey = key(t.facts.owner(), t.facts.name());
                    }
                } else {
                    kept.add(t);
                }
            }
            if (declaredTarget >= 0) {
                out.add(new Edge(c, loc, List.of(), declaredTarget, declaredKey));
            }
            if (!kept.isEmpty()) {
                out.add(new Edge(c, loc, kept, -1, null, ownLockIgnored));
            }
        }
        return out;
    }

    private static long words(long bytes) {
        return (bytes + FrameModel.WORD_BYTES - 1) / FrameModel.WORD_BYTES;
    }

    private static String key(String owner, String name) {
        return owner.replace('/', '.') + "#" + name;
    }

    private Long declaredBytes(String owner, String name) {
        return options.declaredBytes().isEmpty() ? null : options.declaredBytes().get(key(owner, name));
    }

    private int depth(MethodFacts m) {
        Integer d = options.depths().get(key(m.owner(), m.name()));
        return d != null ? d : m.maxDepth();
    }

    private void register(Lambda l) {
        if (lambdaSet.add(l)) {
            lambdas.computeIfAbsent(l.iface(), k -> new ArrayList<>()).add(l);
            // a virtual call already resolved in this pass may have needed it
            for (String s : supertypesInclusive(l.iface())) {
                if (queried.contains(s + "." + l.samName())) {
                    lateLambda = true;
                }
            }
        }
    }

    private void missing(String loc, Call c) {
        String module = universe.missingModule(c.owner());
        site("MISSING_CLASS", loc, c.owner().replace('/', '.') + "." + c.name(), module == null
                ? "put the class's jar on the class path"
                : "it is in the JDK module " + module + ": add the module to the analysis (--module " + module + ")");
    }

    private List<Node> exact(Call c, String loc) {
        if (universe.info(c.owner()) == null) {
            missing(loc, c);
            return List.of();
        }
        MethodFacts m = resolve(c.owner(), c.name() + c.desc());
        if (m == null) {
            site("MISSING_CLASS", loc, c.owner().replace('/', '.') + "." + c.name() + c.desc() + " (no such method)",
                    "analyse against the class path the program runs with");
            return List.of();
        }
        return target(m);
    }

    private List<Node> target(MethodFacts m) {
        if (m.isNative()) {
            nativeCall(m);
            return List.of();
        }
        if (m.isAbstract()) {
            return List.of();
        }
        ClassUniverse.ClassInfo info = universe.info(m.owner());
        return List.of(node(m, facts(info).sourceFile()));
    }

    /** JVMS 5.4.3.3/5.4.3.4 method resolution: the class, its superclasses, then its superinterfaces. */
    private MethodFacts resolve(String owner, String nameDesc) {
        for (String c = owner; c != null; ) {
            MethodFacts m = declared(c, nameDesc);
            if (m != null) {
                return m;
            }
            ClassUniverse.ClassInfo info = universe.info(c);
            c = info == null ? null : info.superName();
        }
        for (String i : supertypesInclusive(owner)) {
            MethodFacts m = declared(i, nameDesc);
            if (m != null && !m.isStatic()) {
                return m;
            }
        }
        return null;
    }

    private List<Node> virtual(Call c, String loc) {
        String o = c.owner();
        String n = c.name();
        if ((o.equals("java/lang/reflect/Method") && n.equals("invoke"))
                || (o.equals("java/lang/reflect/Constructor") && n.equals("newInstance"))
                || (o.equals("java/lang/Class") && n.equals("newInstance"))) {
            site("REFLECTION", loc, o.replace('/', '.') + "." + n, "call the method directly, or declare the reflective"
                    + " call's stack with --declare " + key(o, n) + "=BYTES");
            return List.of();
        }
        if (o.equals("java/lang/invoke/MethodHandle") && (n.equals("invoke") || n.equals("invokeExact")
                || n.equals("invokeWithArguments"))) {
            site("METHOD_HANDLE", loc, o.replace('/', '.') + "." + n, "declare the handle's stack with --declare "
                    + key(o, n) + "=BYTES");
            return List.of();
        }
        if (o.equals("java/lang/invoke/VarHandle")) {
            return List.of(); // a field or array access: runs no code that can park
        }
        ClassUniverse.ClassInfo info = universe.info(o);
        if (info == null) {
            missing(loc, c);
            return List.of();
        }
        String cacheKey = o + "." + n + c.desc();
        List<Node> cached = chaCache.get(cacheKey);
        if (cached != null) {
            if (cached.isEmpty() && chaUnimplemented.contains(cacheKey)) {
                noImplementation(loc, o, n, c.desc()); // each caller's site: each is unresolved
            }
            return cached;
        }
        queried.add(o + "." + n);
        String nameDesc = n + c.desc();
        // by identity: a MethodFacts is read once per class, and a record's hash walks its whole call list
        Set<MethodFacts> seenFacts = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<MethodFacts> found = new ArrayList<>();
        for (String s : subtypesInclusive(o)) {
            ClassUniverse.ClassInfo si = universe.info(s);
            if (si == null || si.isInterface() || si.isAbstract()) {
                continue;
            }
            for (MethodFacts m : select(s, o, nameDesc)) {
                if (seenFacts.add(m)) {
                    found.add(m);
                }
            }
        }
        List<Node> out = new ArrayList<>();
        boolean sawNative = false;
        for (MethodFacts m : found) {
            if (m.isNative()) {
                nativeCall(m);
                sawNative = true;
            } else if (!m.isAbstract()) {
                out.addAll(target(m));
            }
        }
        for (String s : subtypesInclusive(o)) {
            for (Lambda l : lambdas.getOrDefault(s, List.of())) {
                if (l.samName().equals(n)) {
                    out.add(lambdaNode(l));
                }
            }
        }
        if (out.isEmpty() && !sawNative) {
            noImplementation(loc, o, n, c.desc());
            chaUnimplemented.add(cacheKey);
        }
        chaCache.put(cacheKey, out);
        return out;
    }

    private void noImplementation(String loc, String o, String n, String desc) {
        site("NO_IMPLEMENTATION", loc, o.replace('/', '.') + "." + n + desc, "no class in the universe"
                + " implements it (a proxy, or a class loaded at run time?): put it on the class path or declare"
                + " the call with --declare " + key(o, n) + "=BYTES");
    }

    /** JVMS 5.4.6 method selection for a receiver of class {@code receiver}: its class chain, then defaults. */
    private List<MethodFacts> select(String receiver, String referenced, String nameDesc) {
        for (String c = receiver; c != null; ) {
            MethodFacts m = declared(c, nameDesc);
            // a private method overrides nothing: it is selected only by a call to its own class (nestmates)
            if (m != null && !m.isStatic() && (!m.isPrivate() || c.equals(referenced))) {
                if (!m.isAbstract()) {
                    return List.of(m);
                }
                break;
            }
            ClassUniverse.ClassInfo info = universe.info(c);
            c = info == null ? null : info.superName();
        }
        List<MethodFacts> defaults = new ArrayList<>();
        for (String i : supertypesInclusive(receiver)) {
            ClassUniverse.ClassInfo info = universe.info(i);
            if (info == null || !info.isInterface()) {
                continue;
            }
            MethodFacts m = declared(i, nameDesc);
            if (m != null && !m.isStatic() && !m.isAbstract()) {
                defaults.add(m); // every candidate, a superset of the maximally specific one
            }
        }
        return defaults;
    }

    private Set<String> subtypesInclusive(String type) {
        Set<String> s = subtypes.get(type);
        if (s == null) {
            s = new LinkedHashSet<>();
            ArrayDeque<String> work = new ArrayDeque<>();
            work.add(type);
            while (!work.isEmpty()) {
                String t = work.poll();
                if (s.add(t)) {
                    work.addAll(universe.directSubtypes(t));
                }
            }
            subtypes.put(type, s);
        }
        return s;
    }

    private Set<String> supertypesInclusive(String type) {
        Set<String> s = new LinkedHashSet<>();
        ArrayDeque<String> work = new ArrayDeque<>();
        work.add(type);
        while (!work.isEmpty()) {
            String t = work.poll();
            if (!s.add(t)) {
                continue;
            }
            ClassUniverse.ClassInfo info = universe.info(t);
            if (info != null) {
                if (info.superName() != null) {
                    work.add(info.superName());
                }
                work.addAll(info.interfaces());
            }
        }
        return s;
    }

    private void site(String kind, String location, String target, String fix) {
        if (building.sites.size() < SITES_MAX) {
            building.sites.add(new Site(kind, location, target, fix));
        }
    }

    private void nativeCall(MethodFacts m) {
        building.natives.add(m.owner() + "." + m.name() + m.desc());
    }

    // ---- Tarjan, iteratively

    private void visit(Node root) {
        if (root.index != UNVISITED) {
            return;
        }
        ArrayDeque<int[]> cursors = new ArrayDeque<>(); // {edge, target} per frame of `frames`
        ArrayDeque<Node> frames = new ArrayDeque<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        open(root, frames, cursors, stack);
        while (!frames.isEmpty()) {
            Node v = frames.peek();
            int[] cur = cursors.peek();
            Node w = null;
            while (cur[0] < v.edges.size()) {
                Edge e = v.edges.get(cur[0]);
                if (cur[1] < e.targets().size()) {
                    w = e.targets().get(cur[1]++);
                    break;
                }
                cur[0]++;
                cur[1] = 0;
            }
            if (w != null) {
                if (w.index == UNVISITED) {
                    open(w, frames, cursors, stack);
                } else if (w.onStack) {
                    v.low = Math.min(v.low, w.index);
                }
                continue;
            }
            frames.pop();
            cursors.pop();
            if (v.low == v.index) {
                List<Node> component = new ArrayList<>();
                Node x;
                do {
                    x = stack.pop();
                    x.onStack = false;
                    component.add(x);
                } while (x != v);
                cost(component);
            }
            if (!frames.isEmpty()) {
                Node parent = frames.peek();
                parent.low = Math.min(parent.low, v.low);
            }
        }
    }

    private void open(Node n, ArrayDeque<Node> frames, ArrayDeque<int[]> cursors, ArrayDeque<Node> stack) {
        n.index = nextIndex;
        n.low = nextIndex;
        nextIndex++;
        building = n;
        n.edges = edges(n);
        building = null;
        n.onStack = true;
        stack.push(n);
        frames.push(n);
        cursors.push(new int[2]);
    }

    // ---- costs

    private void cost(List<Node> component) {
        Set<Node> members = component.size() == 1 ? Set.of(component.get(0)) : new HashSet<>(component);
        boolean cyclic = component.size() > 1;
        if (!cyclic) {
            Node v = component.get(0);
            for (Edge e : v.edges) {
                if (e.targets().contains(v)) {
                    cyclic = true;
                }
            }
        }
        if (!cyclic) {
            Node v = component.get(0);
            long best = 0;
            for (Edge e : v.edges) {
                if (e.declaredWords() >= 0) {
                    v.callFreezes = true; // what a declared size stands for may park
                    if (e.declaredWords() > best) {
                        best = e.declaredWords();
                        v.next = e;
                        v.nextTarget = null;
                    }
                }
                for (Node t : e.targets()) {
                    if (!e.freezesIn(t)) {
                        continue; // returns before any freeze: its frames never reach the heap
                    }
                    v.callFreezes = true;
                    if (t.cost > best) {
                        best = t.cost;
                        v.next = e;
                        v.nextTarget = t;
                    }
                }
            }
            v.freezes = v.callFreezes || freezesItself(v);
            v.cost = v.freezes ? v.facts.frameWords() + best : 0;
            if (!v.freezes) {
                v.next = null;
                v.nextTarget = null;
            }
            v.unresolved = !v.sites.isEmpty();
            for (Edge e : v.edges) {
                for (Node t : e.targets()) {
                    v.unresolved |= t.unresolved;
                }
            }
            return;
        }
        Scc scc = new Scc();
        scc.nodes = component;
        long exit = 0;
        boolean callFreezes = false;
        boolean freezes = false;
        for (Node v : component) {
            v.scc = scc;
            freezes |= freezesItself(v);
            for (Edge e : v.edges) {
                if (e.declaredWords() >= 0) {
                    callFreezes = true;
                    if (e.declaredWords() > exit) {
                        exit = e.declaredWords();
                        scc.exit = e;
                        scc.exitTarget = null;
                    }
                }
                for (Node t : e.targets()) {
                    if (members.contains(t)) {
                        callFreezes |= freezesItself(t); // within the cycle every member reaches every other
                        continue;
                    }
                    if (!e.freezesIn(t)) {
                        continue;
                    }
                    callFreezes = true;
                    if (t.cost > exit) {
                        exit = t.cost;
                        scc.exit = e;
                        scc.exitTarget = t;
                    }
                }
            }
        }
        freezes |= callFreezes;
        for (Node v : component) {
            v.callFreezes = callFreezes;
            v.freezes = freezes;
        }
        // the methods with a declared depth cut every cycle iff the rest is acyclic (Kahn's algorithm)
        List<Node> cut = new ArrayList<>();
        List<Node> rest = new ArrayList<>();
        long depthSum = 0;
        long cutWords = 0;
        for (Node v : component) {
            int d = depth(v.facts);
            if (d >= 0) {
                cut.add(v);
                depthSum += d;
                cutWords += d * v.facts.frameWords();
            } else {
                rest.add(v);
            }
        }
        Map<Node, Integer> indegree = new HashMap<>();
        rest.forEach(v -> indegree.put(v, 0));
        // each node's distinct successors among the rest, once (call sites share their targets' lists)
        Map<Node, List<Node>> succ = new HashMap<>();
        for (Node v : rest) {
            succ.put(v, successors(v, indegree.keySet()));
        }
        for (Node v : rest) {
            for (Node t : succ.get(v)) {
                indegree.merge(t, 1, Integer::sum);
            }
        }
        ArrayDeque<Node> ready = new ArrayDeque<>();
        indegree.forEach((v, d) -> {
            if (d == 0) {
                ready.add(v);
            }
        });
        Map<Node, Long> longest = new HashMap<>();
        int ordered = 0;
        long pathWords = 0;
        while (!ready.isEmpty()) {
            Node v = ready.poll();
            ordered++;
            long here = longest.getOrDefault(v, 0L) + v.facts.frameWords();
            pathWords = Math.max(pathWords, here);
            for (Node t : succ.get(v)) {
                longest.merge(t, here, Math::max);
                if (indegree.merge(t, -1, Integer::sum) == 0) {
                    ready.add(t);
                }
            }
        }
        List<String> names = new ArrayList<>();
        for (Node v : component) {
            if (names.size() == 4) {
                names.add("and " + (component.size() - 4) + " more methods");
                break;
            }
            names.add(v.display);
        }
        if (ordered == rest.size()) {
            scc.bounded = true;
            scc.depthSum = depthSum;
            scc.cycleWords = cutWords + (depthSum + 1) * pathWords;
            StringBuilder d = new StringBuilder("recursion through ");
            d.append(String.join(", ", names)).append(": ");
            for (Node a : cut) {
                d.append(a.facts.owner().replace('/', '.')).append('.').append(a.facts.name()).append(" at most ")
                        .append(depth(a.facts)).append(" deep; ");
            }
            scc.description = d.substring(0, d.length() - 2);
        } else {
            scc.bounded = false;
            long once = 0;
            for (Node v : component) {
                once += v.facts.frameWords();
            }
            scc.cycleWords = once;
            scc.description = "unbounded recursion through " + String.join(", ", names);
            Node start = null;
            for (Node v : rest) {
                if (indegree.get(v) > 0) {
                    start = v;
                    break;
                }
            }
            building = start;
            site("RECURSION", cycleLocation(start, indegree.keySet()), cycle(start, indegree, succ), "declare a depth bound:"
                    + " @MaxDepth(n) on one method of the cycle, or --max-depth CLASS#METHOD=N");
        }
        for (Node v : component) {
            v.cost = freezes ? scc.cycleWords + exit : 0; // a cycle that never freezes never reaches the heap
        }
        boolean unresolved = !scc.bounded;
        for (Node v : component) {
            unresolved |= !v.sites.isEmpty();
            for (Edge e : v.edges) {
                for (Node t : e.targets()) {
                    unresolved |= t.unresolved;
                }
            }
        }
        for (Node v : component) {
            v.unresolved = unresolved;
        }
    }

    /**
     * Whether the virtual thread can freeze in this method's own code: blocked on a monitor it enters, in a native
     * that yields, or in a call the analysis cannot follow (its sites).
     */
    private boolean freezesItself(Node v) {
        return options.everyMethodFreezes() || v.facts.locks() || v.yields || !v.sites.isEmpty();
    }

    private static List<Node> successors(Node v, Set<Node> within) {
        List<Node> out = new ArrayList<>();
        Set<List<Node>> listsSeen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Set<Node> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Edge e : v.edges) {
            if (!listsSeen.add(e.targets())) {
                continue;
            }
            for (Node t : e.targets()) {
                if (within.contains(t) && seen.add(t)) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    /** A cycle among the nodes Kahn's algorithm could not order, from {@code start}: {@code a -> b -> a}. */
    private static String cycle(Node start, Map<Node, Integer> indegree, Map<Node, List<Node>> succ) {
        List<Node> seq = new ArrayList<>();
        Map<Node, Integer> at = new HashMap<>();
        Node v = start;
        while (v != null && !at.containsKey(v)) {
            at.put(v, seq.size());
            seq.add(v);
            Node next = null;
            for (Node t : succ.get(v)) {
                if (indegree.get(t) > 0) {
                    next = t;
                    break;
                }
            }
            v = next;
        }
        if (v == null) {
            return start.display;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = at.get(v); i < seq.size(); i++) {
            sb.append(seq.get(i).display).append(" -> ");
        }
        return sb.append(v.display).toString();
    }

    private String cycleLocation(Node start, Set<Node> within) {
        for (Edge e : start.edges) {
            for (Node t : e.targets()) {
                if (within.contains(t)) {
                    return e.location();
                }
            }
        }
        return start.display;
    }

    private static List<Step> path(Node entry) {
        List<Step> out = new ArrayList<>();
        Node v = entry;
        int guard = 0;
        while (v != null && v.freezes && guard++ < 1_000_000) {
            if (v.scc != null) {
                Scc s = v.scc;
                long each = s.depthSum > 0 ? s.cycleWords / Math.max(1, s.depthSum) : s.cycleWords;
                out.add(new Step(s.description, each * FrameModel.WORD_BYTES, Math.max(1, s.depthSum),
                        s.cycleWords * FrameModel.WORD_BYTES, s.exit == null ? null : s.exit.location(),
                        s.bounded ? "declared depth" : "UNBOUNDED: counted once"));
                if (s.exit != null && s.exitTarget == null) {
                    out.add(declaredStep(s.exit));
                }
                v = s.exitTarget;
            } else {
                out.add(new Step(v.display, v.facts.frameWords() * FrameModel.WORD_BYTES, 1,
                        v.facts.frameWords() * FrameModel.WORD_BYTES, v.next == null ? null : v.next.location(), null));
                if (v.next != null && v.nextTarget == null) {
                    out.add(declaredStep(v.next));
                }
                v = v.nextTarget;
            }
        }
        return out;
    }

    private static Step declaredStep(Edge e) {
        long bytes = e.declaredWords() * FrameModel.WORD_BYTES;
        return new Step(e.declaredKey(), bytes, 1, bytes, null, "declared size");
    }
}
