package dev.weft.memory;

import dev.weft.internal.memory.ClassShapes;
import dev.weft.internal.memory.IdentitySet;
import dev.weft.internal.memory.LayoutDetection;
import dev.weft.internal.memory.Plans;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Measures the deep size of an arbitrary object graph on the {@linkplain ObjectLayout layout} in force: the
 * per-object fallback behind {@link Sized}.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=deep-size}
 *
 * <h2>What is counted</h2>
 * Every object reachable from the root through instance fields and array elements, once, however many
 * references lead to it (cycles are fine), with the same semantics as {@link Sized}: not counted, and not
 * traversed, are {@code Class} objects, class loaders, modules, threads and enum constants, and the objects
 * passed as {@code shared} to {@link #estimate(Object, Object...)} together with what is reachable only
 * through them. Static fields are never followed, nor are the referents of weak, soft and phantom references
 * (they do not retain them; the reference object itself is counted). An object's own {@link Sized#deepSizeBytes()} is not
 * consulted, so sizes compose without double counting.
 *
 * <h2>Exactness</h2>
 * Shallow sizes are exact: they follow HotSpot's field layout (the same code as the compile-time sizes). The
 * traversal is exact when every reference field is readable, which holds for classes on the class path and
 * for packages opened to Weft. Reference fields of other modules' closed packages cannot be read; then:
 * a {@code String} is sized exactly from its length and coder (but a value array shared by two strings is
 * counted twice); {@code HashMap}, {@code LinkedHashMap}, {@code HashSet}, {@code LinkedHashSet},
 * {@code TreeMap}, {@code TreeSet}, {@code ArrayList} and {@code ArrayDeque} are modelled from their size,
 * assuming default construction and growth; other collections and maps count their elements but not their
 * internal arrays or nodes; other objects count their shallow size only. Any such modelling clears
 * {@link SizeEstimate#complete()}. On the class path with {@code --add-opens java.base/java.util=ALL-UNNAMED}
 * (or {@code =dev.weft} on the module path) the JDK collections are measured exactly.
 *
 * <h2>Cost</h2>
 * Time linear in reachable objects plus references: per object one identity-hash probe, one cached plan lookup
 * and one reflective read per reference field: tens of nanoseconds per object, several times less than JOL's
 * {@code GraphLayout} on the same graphs (see {@code docs/benchmarks.md}, "Sizing"). No
 * allocation in steady state: the visited set and work stack are reused across calls (tables grown past 32K
 * objects are released after the call). The first object of each class pays a one-time reflective plan.
 * {@code objectsMax} bounds the work per call.
 *
 * <h2>Exceptions</h2>
 * Throws {@link UnsupportedOperationException} from the constructor if the JVM runs no supported layout
 * (see {@link ObjectLayout#current()}).
 *
 * <h2>Thread safety</h2>
 * Not thread-safe: use one estimator per thread. Measuring a graph that other threads mutate gives an
 * estimate of some state the graph passed through.
 */
public final class DeepSizeEstimator {
    private static final int STACK_CAPACITY_INITIAL = 256;

    private final ObjectLayout layout;
    private final Plans plans;
    private final ClassShapes shapes;
    private final int objectsMax;
    private final IdentitySet visited = new IdentitySet(); // owner thread only
    private Object[] stack = new Object[STACK_CAPACITY_INITIAL]; // owner thread only

    /** An estimator for the layout in force, with no bound on objects per call. */
    public DeepSizeEstimator() {
        this(ObjectLayout.current(), Integer.MAX_VALUE);
    }

    /**
     * An estimator for a given layout (to size for a JVM configured differently from this one) that stops
     * after {@code objectsMax} objects per call and then reports an incomplete estimate.
     *
     * @throws IllegalArgumentException if {@code objectsMax < 1}
     */
    public DeepSizeEstimator(ObjectLayout layout, int objectsMax) {
        if (objectsMax < 1) {
            throw new IllegalArgumentException("objectsMax is " + objectsMax + "; pass at least 1");
        }
        this.layout = java.util.Objects.requireNonNull(layout, "layout");
        this.plans = Plans.of(layout.rules());
        this.shapes = ClassShapes.of(layout.rules());
        this.objectsMax = objectsMax;
    }

    /** The layout this estimator sizes for. */
    public ObjectLayout layout() {
        return layout;
    }

    /** Deep size of {@code root} in bytes (0 for null); see {@link #estimate} for whether it is exact. */
    public long deepSizeBytes(Object root) {
        return estimate(root).sizeBytes();
    }

    /**
     * Deep size of {@code root}, not counting {@code shared} objects nor what is reachable only through them.
     */
    public SizeEstimate estimate(Object root, Object... shared) {
        try {
            for (Object s : shared) {
                if (s != null) {
                    visited.add(s);
                }
            }
            int sharedCount = visited.size();
            return walk(root, sharedCount);
        } finally {
            visited.clear();
            if (stack.length > STACK_CAPACITY_INITIAL << 8) {
                stack = new Object[STACK_CAPACITY_INITIAL];
            }
        }
    }

    private SizeEstimate walk(Object root, int sharedCount) {
        if (root == null || !visited.add(root)) {
            return new SizeEstimate(0, 0, true);
        }
        int top = 0;
        stack[top++] = root;
        hashSetPresentCounted = false;
        long bytes = 0;
        long objects = 0;
        boolean complete = true;
        while (top > 0) {
            Object o = stack[--top];
            stack[top] = null;
            if (objects >= objectsMax) { // >=: an approximated collection adds many objects at once
                complete = false;
                java.util.Arrays.fill(stack, 0, top, null);
                break;
            }
            Plans.Plan plan = plans.plan(o.getClass());
            switch (plan.kind()) {
                case Plans.SHARED -> {
                    continue;
                }
                case Plans.PRIMITIVE_ARRAY -> bytes += layout.arraySizeBytes(plan.componentType(), Array.getLength(o));
                case Plans.REFERENCE_ARRAY -> {
                    Object[] array = (Object[]) o;
                    bytes += layout.arraySizeBytes(plan.componentType(), array.length);
                    for (Object e : array) {
                        if (e != null && visited.add(e)) {
                            top = push(top, e);
                        }
                    }
                }
                case Plans.INSTANCE -> {
                    bytes += plan.shallowBytes();
                    for (Field f : plan.references()) {
                        Object e = read(f, o);
                        if (e != null && visited.add(e)) {
                            top = push(top, e);
                        }
                    }
                }
                case Plans.STRING_MODEL -> bytes += plan.shallowBytes() + stringValueBytes((String) o);
                case Plans.OPAQUE -> {
                    complete = false;
                    bytes += plan.shallowBytes();
                    top = model(o, top);
                    bytes += modelBytes;
                    objects += modelObjects;
                }
                default -> throw new AssertionError("unknown plan kind " + plan.kind());
            }
            objects++;
        }
        assert visited.size() >= sharedCount;
        return new SizeEstimate(bytes, objects, complete);
    }

    private int push(int top, Object e) {
        if (top == stack.length) {
            stack = java.util.Arrays.copyOf(stack, top << 1);
        }
        stack[top] = e;
        return top + 1;
    }

    private static Object read(Field f, Object o) {
        try {
            return f.get(o);
        } catch (IllegalAccessException e) {
            throw new AssertionError("field " + f + " was made accessible but cannot be read", e);
        }
    }

    private long stringValueBytes(String s) {
        int length = s.length();
        boolean latin1 = LayoutDetection.compactStrings();
        for (int i = 0; latin1 && i < length; i++) {
            latin1 = s.charAt(i) <= 0xFF;
        }
        return layout.arraySizeBytes(byte.class, latin1 ? length : length * 2);
    }

    // Results of the last model() call: bytes of modelled internals, and how many objects they stand for.
    private long modelBytes; // owner thread only
    private long modelObjects; // owner thread only
    private int modelTop; // owner thread only: the work stack's top while model() pushes elements
    private boolean hashSetPresentCounted; // owner thread only: reset by every walk
    // preallocated so that modelling does not allocate; forEach (unlike entrySet()) creates no cached views
    private final java.util.function.BiConsumer<Object, Object> pushEntry = (k, v) -> {
        modelTop = pushUnvisited(modelTop, k);
        modelTop = pushUnvisited(modelTop, v);
    };
    private final java.util.function.Consumer<Object> pushElement = e -> modelTop = pushUnvisited(modelTop, e);

    /** Models the internals of an unreadable collection and pushes its elements; sets modelBytes/Objects. */
    private int model(Object o, int top) {
        modelBytes = 0;
        modelObjects = 0;
        if (o instanceof Map<?, ?> map) {
            int size = map.size();
            if (o instanceof HashMap<?, ?>) {
                hashMapInternals(size, o instanceof LinkedHashMap<?, ?>);
            } else if (o instanceof TreeMap<?, ?>) {
                nodes(JdkClasses.TREE_MAP_ENTRY, size);
            }
            modelTop = top;
            @SuppressWarnings("unchecked")
            Map<Object, Object> objects = (Map<Object, Object>) map;
            objects.forEach(pushEntry);
            top = modelTop;
        } else if (o instanceof Collection<?> collection) {
            int size = collection.size();
            if (o instanceof HashSet<?>) {
                add(shapes.shape(o instanceof LinkedHashSet<?> ? LinkedHashMap.class : HashMap.class).sizeBytes(), 1);
                hashMapInternals(size, o instanceof LinkedHashSet<?>);
                // iterating a HashSet creates (once) and caches its map's key set view, which is then retained
                nodes(o instanceof LinkedHashSet<?> ? JdkClasses.LINKED_KEY_SET : JdkClasses.HASH_MAP_KEY_SET, 1);
                if (size > 0 && !hashSetPresentCounted) {
                    // every entry's value is HashSet.PRESENT, one plain Object reached once per graph
                    hashSetPresentCounted = true;
                    add(shapes.shape(Object.class).sizeBytes(), 1);
                }
            } else if (o instanceof TreeSet<?>) {
                add(shapes.shape(TreeMap.class).sizeBytes(), 1);
                nodes(JdkClasses.TREE_MAP_ENTRY, size);
                nodes(JdkClasses.TREE_MAP_KEY_SET, 1); // created and cached by iterating, as for HashSet
            } else if (o instanceof ArrayList<?>) {
                int capacity = 0;
                if (size > 0) {
                    capacity = 10;
                    while (capacity < size) {
                        capacity += capacity >> 1;
                    }
                    add(layout.arraySizeBytes(Object.class, capacity), 1);
                }
            } else if (o instanceof ArrayDeque<?>) {
                int capacity = 17;
                while (size > capacity - 1) {
                    capacity += capacity < 64 ? capacity + 2 : capacity >> 1;
                }
                add(layout.arraySizeBytes(Object.class, capacity), 1);
            }
            modelTop = top;
            @SuppressWarnings("unchecked")
            Collection<Object> objects = (Collection<Object>) collection;
            objects.forEach(pushElement);
            top = modelTop;
        }
        return top;
    }

    private int pushUnvisited(int top, Object e) {
        return e != null && visited.add(e) ? push(top, e) : top;
    }

    private void hashMapInternals(int size, boolean linked) {
        if (size == 0) {
            return;
        }
        int capacity = 16;
        while (size > capacity * 3L / 4) {
            capacity <<= 1;
        }
        add(layout.arraySizeBytes(Object.class, capacity), 1);
        nodes(linked ? JdkClasses.LINKED_HASH_MAP_ENTRY : JdkClasses.HASH_MAP_NODE, size);
    }

    private void nodes(Class<?> nodeClass, int count) {
        add(shapes.shape(nodeClass).sizeBytes() * count, count);
    }

    /** The closed {@code java.util} classes the collection model counts, looked up once. */
    private static final class JdkClasses {
        static final Class<?> HASH_MAP_NODE = load("java.util.HashMap$Node");
        static final Class<?> LINKED_HASH_MAP_ENTRY = load("java.util.LinkedHashMap$Entry");
        static final Class<?> TREE_MAP_ENTRY = load("java.util.TreeMap$Entry");
        static final Class<?> TREE_MAP_KEY_SET = load("java.util.TreeMap$KeySet");
        static final Class<?> HASH_MAP_KEY_SET = load("java.util.HashMap$KeySet");
        static final Class<?> LINKED_KEY_SET = load("java.util.LinkedHashMap$LinkedKeySet");

        private static Class<?> load(String className) {
            try {
                return Class.forName(className);
            } catch (ClassNotFoundException e) {
                throw new AssertionError(className + " is missing from this JDK; update the collection model", e);
            }
        }
    }

    private void add(long bytes, long objects) {
        modelBytes += bytes;
        modelObjects += objects;
    }
}
