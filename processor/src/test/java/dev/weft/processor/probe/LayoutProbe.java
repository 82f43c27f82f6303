package dev.weft.processor.probe;

import dev.weft.memory.DeepSizeEstimator;
import dev.weft.memory.ObjectLayout;
import dev.weft.memory.SizeEstimate;
import dev.weft.memory.Sizes;
import dev.weft.processor.fixtures.Fixtures;
import dev.weft.processor.fixtures.HeldOut;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;

/**
 * Runs in a forked JVM with one object layout's flags and prints, one line per measurement, what the generated
 * constants, the helpers and the estimator say next to what JOL and {@link Instrumentation} measure. The test
 * that forks it parses the lines and compares; this class asserts nothing itself.
 *
 * <p>Line formats (space-separated): {@code LAYOUT name}; {@code CASE name genShallow genDeep jolShallow
 * jolDeep instShallow instDeep estimatorDeep reflectShallow}; {@code GRAPH name jolTotal instTotal estimate
 * complete}; {@code HELPER name helperBytes instBytes jolBytes}.
 */
public final class LayoutProbe {
    private LayoutProbe() {}

    /** Entry point; no arguments. */
    public static void main(String[] args) {
        Instrumentation inst = ProbeAgent.instrumentation;
        if (inst == null) {
            throw new IllegalStateException("run with -javaagent:<jar whose Premain-Class is ProbeAgent>");
        }
        System.out.println("LAYOUT " + ObjectLayout.current());
        DeepSizeEstimator estimator = new DeepSizeEstimator();
        List<Fixtures.Case> cases = new ArrayList<>(Fixtures.cases());
        cases.addAll(HeldOut.cases());
        for (Fixtures.Case c : cases) {
            Object o = c.instance().get();
            long jolDeep = GraphLayout.parseInstance(o).totalSize();
            if (c.shared().length > 0) {
                jolDeep -= GraphLayout.parseInstance(c.shared()).totalSize();
            }
            System.out.println("CASE " + c.name() + " " + c.shallowBytes() + " " + c.deepBytes()
                    + " " + ClassLayout.parseInstance(o).instanceSize() + " " + jolDeep
                    + " " + inst.getObjectSize(o) + " " + instrumentedDeep(inst, o, c.shared())
                    + " " + estimator.estimate(o, c.shared()).sizeBytes() + " " + Sizes.shallowSizeBytes(o.getClass()));
        }
        for (Map.Entry<String, Object> g : graphs().entrySet()) {
            Object o = g.getValue();
            SizeEstimate estimate = estimator.estimate(o);
            System.out.println("GRAPH " + g.getKey() + " " + GraphLayout.parseInstance(o).totalSize() + " "
                    + instrumentedDeep(inst, o) + " " + estimate.sizeBytes() + " " + estimate.complete());
        }
        Class<?>[] elements = {boolean.class, byte.class, char.class, short.class, int.class, float.class,
                long.class, double.class, Object.class};
        for (Class<?> e : elements) {
            for (int length : new int[] {0, 1, 2, 3, 4, 5, 7, 8, 9, 17, 1000}) {
                Object array = Array.newInstance(e, length);
                System.out.println("HELPER array:" + e.getSimpleName() + "[" + length + "] "
                        + Sizes.arraySizeBytes(e, length) + " " + inst.getObjectSize(array) + " "
                        + ClassLayout.parseInstance(array).instanceSize());
            }
        }
        for (int capacity : new int[] {0, 1, 100, 4096}) {
            ByteBuffer buffer = ByteBuffer.allocate(capacity);
            System.out.println("HELPER bytebuffer:" + capacity + " " + Sizes.byteBufferSizeBytes(capacity) + " "
                    + instrumentedDeep(inst, buffer) + " " + GraphLayout.parseInstance(buffer).totalSize());
        }
        for (Class<?> type : List.of(String.class, HashMap.class, Integer.class, Long.class, ArrayList.class,
                Object.class, TreeMap.class, ByteBuffer.allocate(0).getClass())) {
            System.out.println("HELPER shallow:" + type.getSimpleName() + " " + Sizes.shallowSizeBytes(type) + " "
                    + ClassLayout.parseClass(type).instanceSize() + " " + ClassLayout.parseClass(type).instanceSize());
        }
    }

    /** Graphs for the estimator: collections, strings, cycles, sharing, arrays, a tree. */
    static Map<String, Object> graphs() {
        Map<String, Object> graphs = new LinkedHashMap<>();
        Map<String, String> strings = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            strings.put("key-" + i, "value-" + i * 31);
        }
        graphs.put("HashMap<String,String>x1000", strings);
        Map<String, String> utf16 = new HashMap<>();
        for (int i = 0; i < 50; i++) {
            utf16.put("κλειδί-" + i, i % 2 == 0 ? "значение" + i : "latin" + i);
        }
        graphs.put("HashMap<String,String>utf16", utf16);
        TreeMap<Integer, List<String>> tree = new TreeMap<>();
        for (int i = 0; i < 300; i++) {
            tree.computeIfAbsent(i % 97, k -> new ArrayList<>()).add("item" + i);
        }
        graphs.put("TreeMap<Integer,ArrayList<String>>", tree);
        graphs.put("BinaryTree(depth10)", Node.tree(10));
        Node a = new Node(null, null, 1);
        Node b = new Node(a, null, 2);
        a.left = b; // a cycle
        graphs.put("Cycle", a);
        int[] sharedArray = new int[100];
        graphs.put("SharedArrayTwice", new Object[] {sharedArray, sharedArray, new long[3]});
        graphs.put("ArrayList<Long>", new ArrayList<>(List.of(1L << 40, 2L << 40, 3L << 40)));
        Set<String> set = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            set.add(Integer.toHexString(i * 7919));
        }
        graphs.put("HashSet<String>", set);
        ArrayDeque<int[]> deque = new ArrayDeque<>();
        for (int i = 0; i < 40; i++) {
            deque.add(new int[i]);
        }
        graphs.put("ArrayDeque<int[]>", deque);
        graphs.put("Object[][]", new Object[][] {{"a", 1.0}, {new StringBuilder("sb"), new char[5]}});
        graphs.put("String", "hello, world");
        graphs.put("Collections.emptyList", Collections.emptyList());
        return graphs;
    }

    /** A binary tree node, for the tree and cycle graphs. */
    static final class Node {
        Node left;
        Node right;
        final long value;

        Node(Node left, Node right, long value) {
            this.left = left;
            this.right = right;
            this.value = value;
        }

        static Node tree(int depth) {
            return depth == 0 ? null : new Node(tree(depth - 1), tree(depth - 1), depth);
        }
    }

    /**
     * An independent oracle: walks the graph by reflection (everything is opened in the probe JVM) and sums
     * {@link Instrumentation#getObjectSize}, skipping the same shared objects as the estimator.
     */
    static long instrumentedDeep(Instrumentation inst, Object root, Object... shared) {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Collections.addAll(seen, shared);
        Deque<Object> work = new ArrayDeque<>();
        if (seen.add(root)) {
            work.push(root);
        }
        long total = 0;
        while (!work.isEmpty()) {
            Object o = work.pop();
            if (o instanceof Class<?> || o instanceof Enum<?>) {
                continue;
            }
            total += inst.getObjectSize(o);
            if (o.getClass().isArray()) {
                if (!o.getClass().getComponentType().isPrimitive()) {
                    for (Object e : (Object[]) o) {
                        if (e != null && seen.add(e)) {
                            work.push(e);
                        }
                    }
                }
                continue;
            }
            for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                        continue;
                    }
                    try {
                        f.setAccessible(true);
                        Object e = f.get(o);
                        if (e != null && seen.add(e)) {
                            work.push(e);
                        }
                    } catch (ReflectiveOperationException | RuntimeException ex) {
                        throw new IllegalStateException("probe cannot read " + f + "; open its package", ex);
                    }
                }
            }
        }
        return total;
    }
}
