package dev.weft.agent.internal;

import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the methods of one class that are recursive within it, so that they get an entry check under the default
 * policy: recursion without loops ({@code fib(n - 1) + fib(n - 2)}) has no back-edge, and without a check at entry
 * it runs to its end whatever the deadline.
 *
 * <p>The call graph is the class's own methods with a body, an edge for every {@code invokestatic},
 * {@code invokespecial}, {@code invokevirtual} or {@code invokeinterface} whose owner is this class and whose name and
 * descriptor are those of one of its methods, and for every {@code invokeinterface} on one of the interfaces the class
 * implements directly whose name and descriptor are those of one of its instance methods ({@code KernelSuite self =
 * this; self.fib(n - 1)}). A virtual or interface call may dispatch elsewhere: a check too many costs one volatile
 * read. A method is {@linkplain Kind#SELF self-recursive} if it calls itself, {@linkplain Kind#MUTUAL mutually
 * recursive} if it lies on a cycle of two or more methods (a strongly connected component, Tarjan's algorithm,
 * iterative so that a class of many methods cannot overflow the transformer's stack). One pass over each body; no
 * other class is read.
 *
 * <p>Not found: recursion through another class, a lambda or a method handle; the {@code entry} policy covers those.
 */
final class Recursion {
    private Recursion() {}

    /** How a method is recursive. */
    enum Kind {
        /** It calls itself. */
        SELF("self-recursive"),
        /** It lies on a cycle through other methods of its class. */
        MUTUAL("mutually recursive");

        final String text;

        Kind(String text) {
            this.text = text;
        }
    }

    /** The recursive methods of {@code model}, each with how it recurses. */
    static Map<MethodModel, Kind> find(ClassModel model) {
        String self = model.thisClass().asInternalName();
        Set<String> interfaces = new HashSet<>();
        model.interfaces().forEach(i -> interfaces.add(i.asInternalName()));
        List<MethodModel> methods = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (MethodModel m : model.methods()) {
            if (m.code().isPresent()) {
                index.put(m.methodName().stringValue() + m.methodType().stringValue(), methods.size());
                methods.add(m);
            }
        }
        int n = methods.size();
        int[][] callees = new int[n][];
        boolean[] callsItself = new boolean[n];
        for (int v = 0; v < n; v++) {
            int[] out = new int[4];
            int count = 0;
            for (CodeElement e : methods.get(v).code().orElseThrow()) {
                if (e instanceof InvokeInstruction i && isDirectOrVirtual(i.opcode())
                        && (i.owner().asInternalName().equals(self) || i.opcode() == Opcode.INVOKEINTERFACE
                                && interfaces.contains(i.owner().asInternalName()))) {
                    Integer w = index.get(i.name().stringValue() + i.type().stringValue());
                    if (w != null && (i.owner().asInternalName().equals(self)
                            || !methods.get(w).flags().has(AccessFlag.STATIC))) {
                        callsItself[v] |= w == v;
                        if (count == out.length) {
                            out = Arrays.copyOf(out, 2 * count);
                        }
                        out[count++] = w;
                    }
                }
            }
            callees[v] = Arrays.copyOf(out, count);
        }
        int[] component = components(callees);
        int[] size = new int[n];
        for (int v = 0; v < n; v++) {
            size[component[v]]++;
        }
        Map<MethodModel, Kind> found = new IdentityHashMap<>();
        for (int v = 0; v < n; v++) {
            if (callsItself[v]) {
                found.put(methods.get(v), Kind.SELF);
            } else if (size[component[v]] > 1) {
                found.put(methods.get(v), Kind.MUTUAL);
            }
        }
        return found;
    }

    private static boolean isDirectOrVirtual(Opcode op) {
        return op == Opcode.INVOKESTATIC || op == Opcode.INVOKESPECIAL || op == Opcode.INVOKEVIRTUAL
                || op == Opcode.INVOKEINTERFACE;
    }

    /** Tarjan's strongly connected components without recursion: the component number of every vertex. */
    static int[] components(int[][] callees) {
        int n = callees.length;
        int[] order = new int[n];      // discovery number + 1; 0 = not visited
        int[] low = new int[n];
        int[] component = new int[n];
        Arrays.fill(component, -1);
        boolean[] onStack = new boolean[n];
        int[] stack = new int[n];      // Tarjan's stack of vertices
        int top = 0;
        int[] callV = new int[n];      // the explicit call stack: vertex and next edge to follow
        int[] callEdge = new int[n];
        int counter = 0;
        int components = 0;
        for (int root = 0; root < n; root++) {
            if (order[root] != 0) {
                continue;
            }
            int depth = 0;
            callV[0] = root;
            callEdge[0] = 0;
            order[root] = low[root] = ++counter;
            stack[top++] = root;
            onStack[root] = true;
            while (depth >= 0) {
                int v = callV[depth];
                if (callEdge[depth] < callees[v].length) {
                    int w = callees[v][callEdge[depth]++];
                    if (order[w] == 0) {
                        order[w] = low[w] = ++counter;
                        stack[top++] = w;
                        onStack[w] = true;
                        depth++;
                        callV[depth] = w;
                        callEdge[depth] = 0;
                    } else if (onStack[w]) {
                        low[v] = Math.min(low[v], order[w]);
                    }
                    continue;
                }
                if (low[v] == order[v]) {
                    int w;
                    do {
                        w = stack[--top];
                        onStack[w] = false;
                        component[w] = components;
                    } while (w != v);
                    components++;
                }
                depth--;
                if (depth >= 0) {
                    int parent = callV[depth];
                    low[parent] = Math.min(low[parent], low[v]);
                }
            }
        }
        return component;
    }
}
