package dev.weft.agent.internal;

import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.DiscontinuedInstruction;
import java.lang.classfile.instruction.ExceptionCatch;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the checkpoint transforms need to know about one method body, keyed by {@link Label} (labels keep their
 * identity while a body streams through a chain of transforms; instruction objects and positions do not).
 *
 * <p>Implementation overview: one pass numbers the elements and binds labels to positions; a data-flow pass over
 * the control-flow graph (branches, switches, fall-through and exception edges) computes the monitor depth at
 * every instruction, joining with {@code max} so that a point that <em>may</em> be reached holding a monitor
 * counts as locked; a breadth-first pass without exception edges finds what ordinary (non-exceptional) control
 * flow reaches; last, every backward {@code goto} is matched against the counted-loop shape javac emits
 * ({@link CountedLoop}). Transforms then track the depth while streaming: at a label they take the value computed
 * here, and monitor instructions move it.
 */
final class MethodFacts {
    /** Depth value for "not reached, or reached only after an unconditional jump with no label": never poll. */
    static final int DEPTH_UNKNOWN = Integer.MAX_VALUE;
    /** Monitor depths are capped here so that malformed code cannot make the data flow run long. */
    private static final int DEPTH_CAP = 64;
    /** Counted-loop bodies longer than this are polled at their back-edge: it bounds the work per chunk. */
    static final int STRIP_BODY_INSTRUCTIONS_MAX = 200;

    private final Map<Label, Integer> depthAtLabel = new IdentityHashMap<>();
    private final Map<Label, Boolean> normalAtLabel = new IdentityHashMap<>();
    private final Map<Label, CountedLoop> countedLoops = new IdentityHashMap<>();
    private final boolean hasMonitors;
    private final boolean hasDiscontinued;

    /**
     * A loop of the shape javac emits for {@code for (int i = ...; i < bound; i += step)} (step a positive
     * constant), whose body makes no calls (but to a few constant-time JDK methods, {@link #isConstantTimeJdkCall}),
     * holds no monitor, contains no other loop and is short: the shape
     * HotSpot's C2 turns into a counted loop and may vectorize.
     *
     * @param header       label of the loop test, the target of the back-edge {@code goto}
     * @param indexSlot    local slot of {@code i}
     * @param bound        how to load the bound again: {@link Bound}
     * @param exitOpcode   {@code IF_ICMPGE} ({@code i < bound}) or {@code IF_ICMPGT} ({@code i <= bound})
     */
    record CountedLoop(Label header, int indexSlot, Bound bound, Opcode exitOpcode) {}

    /** A loop bound that can be loaded again without side effects: a local int, an array length, a constant. */
    sealed interface Bound {
        record Local(int slot) implements Bound {}
        record ArrayLength(int arraySlot) implements Bound {}
        record Constant(int value) implements Bound {}
    }

    private MethodFacts(boolean hasMonitors, boolean hasDiscontinued) {
        this.hasMonitors = hasMonitors;
        this.hasDiscontinued = hasDiscontinued;
    }

    /** Monitor depth on entry to the code at {@code label}, or {@link #DEPTH_UNKNOWN} for a label not analysed. */
    int depthAt(Label label, int current) {
        Integer d = depthAtLabel.get(label);
        return d == null ? current : d;
    }

    /** Whether ordinary control flow (no exception edges) reaches {@code label}; {@code current} if not analysed. */
    boolean normalAt(Label label, boolean current) {
        Boolean n = normalAtLabel.get(label);
        return n == null ? current : n;
    }

    CountedLoop countedLoop(Label header) {
        return countedLoops.get(header);
    }

    int countedLoopCount() {
        return countedLoops.size();
    }

    boolean hasMonitors() {
        return hasMonitors;
    }

    /** True if the body uses {@code jsr}/{@code ret} (class files older than 50): such methods are not changed. */
    boolean hasDiscontinued() {
        return hasDiscontinued;
    }

    static MethodFacts analyze(CodeModel code, boolean stripMining) {
        List<CodeElement> els = code.elementList();
        int n = els.size();
        Map<Label, Integer> labelPos = new IdentityHashMap<>();
        boolean monitors = false;
        boolean discontinued = false;
        for (int i = 0; i < n; i++) {
            CodeElement e = els.get(i);
            if (e instanceof LabelTarget lt) {
                labelPos.put(lt.label(), i);
            } else if (e instanceof MonitorInstruction) {
                monitors = true;
            } else if (e instanceof DiscontinuedInstruction) {
                discontinued = true;
            }
        }
        MethodFacts facts = new MethodFacts(monitors, discontinued);
        if (discontinued) {
            return facts;
        }
        // nextInsn[i]: position of the first instruction at or after i (n if none).
        int[] nextInsn = new int[n + 1];
        nextInsn[n] = n;
        for (int i = n - 1; i >= 0; i--) {
            nextInsn[i] = els.get(i) instanceof Instruction ? i : nextInsn[i + 1];
        }
        List<ExceptionCatch> catches = code.exceptionHandlers();

        // Monitor depth: forward data flow, join = max.
        int[] depthIn = new int[n];
        Arrays.fill(depthIn, -1);
        boolean[] normal = new boolean[n];
        ArrayDeque<Integer> work = new ArrayDeque<>();
        int first = nextInsn[0];
        if (first < n) {
            depthIn[first] = 0;
            work.add(first);
        }
        while (!work.isEmpty()) {
            int i = work.poll();
            Instruction insn = (Instruction) els.get(i);
            int in = depthIn[i];
            int out = in;
            if (insn.opcode() == Opcode.MONITORENTER) {
                out = Math.min(in + 1, DEPTH_CAP);
            } else if (insn.opcode() == Opcode.MONITOREXIT) {
                out = Math.max(in - 1, 0);
            }
            for (int s : successors(els, i, labelPos, nextInsn)) {
                if (s < n && depthIn[s] < out) {
                    depthIn[s] = out;
                    work.add(s);
                }
            }
            int thrown = Math.max(in, out);
            for (ExceptionCatch c : catches) {
                if (i >= labelPos.get(c.tryStart()) && i < labelPos.get(c.tryEnd())) {
                    int h = nextInsn[labelPos.get(c.handler())];
                    if (h < n && depthIn[h] < thrown) {
                        depthIn[h] = thrown;
                        work.add(h);
                    }
                }
            }
        }
        // Ordinary reachability: no exception edges.
        if (first < n) {
            normal[first] = true;
            work.add(first);
        }
        while (!work.isEmpty()) {
            int i = work.poll();
            for (int s : successors(els, i, labelPos, nextInsn)) {
                if (s < n && !normal[s]) {
                    normal[s] = true;
                    work.add(s);
                }
            }
        }
        for (Map.Entry<Label, Integer> l : labelPos.entrySet()) {
            int at = nextInsn[l.getValue()];
            int d = at < n && depthIn[at] >= 0 ? depthIn[at] : DEPTH_UNKNOWN;
            facts.depthAtLabel.put(l.getKey(), d);
            facts.normalAtLabel.put(l.getKey(), at < n && normal[at]);
        }
        if (stripMining) {
            findCountedLoops(els, labelPos, catches, depthIn, facts);
        }
        return facts;
    }

    private static int[] successors(List<CodeElement> els, int i, Map<Label, Integer> labelPos, int[] nextInsn) {
        Instruction insn = (Instruction) els.get(i);
        int fall = nextInsn[Math.min(i + 1, els.size())];
        return switch (insn) {
            case BranchInstruction b when isUnconditional(b.opcode()) -> new int[] {nextInsn[labelPos.get(b.target())]};
            case BranchInstruction b -> new int[] {fall, nextInsn[labelPos.get(b.target())]};
            case TableSwitchInstruction t -> switchTargets(t.defaultTarget(), t.cases(), labelPos, nextInsn);
            case LookupSwitchInstruction t -> switchTargets(t.defaultTarget(), t.cases(), labelPos, nextInsn);
            default -> switch (insn.opcode().kind()) {
                case RETURN, THROW_EXCEPTION -> new int[0];
                default -> new int[] {fall};
            };
        };
    }

    private static int[] switchTargets(Label dflt, List<SwitchCase> cases, Map<Label, Integer> labelPos, int[] nextInsn) {
        int[] out = new int[cases.size() + 1];
        out[0] = nextInsn[labelPos.get(dflt)];
        for (int k = 0; k < cases.size(); k++) {
            out[k + 1] = nextInsn[labelPos.get(cases.get(k).target())];
        }
        return out;
    }

    static boolean isUnconditional(Opcode op) {
        return op == Opcode.GOTO || op == Opcode.GOTO_W;
    }

    /** True for instructions after which control never falls through to the next element. */
    static boolean endsFlow(Instruction insn) {
        return isUnconditional(insn.opcode()) || switch (insn.opcode().kind()) {
            case RETURN, THROW_EXCEPTION, TABLE_SWITCH, LOOKUP_SWITCH -> true;
            default -> false;
        };
    }

    private static void findCountedLoops(List<CodeElement> els, Map<Label, Integer> labelPos,
                                         List<ExceptionCatch> catches, int[] depthIn, MethodFacts facts) {
        // Positions of every branch target, with the position of the branch.
        List<int[]> edges = new ArrayList<>(); // {from, to}
        for (int pos = 0; pos < els.size(); pos++) {
            final int i = pos;
            switch (els.get(i)) {
                case BranchInstruction b -> edges.add(new int[] {i, labelPos.get(b.target())});
                case TableSwitchInstruction t -> {
                    edges.add(new int[] {i, labelPos.get(t.defaultTarget())});
                    t.cases().forEach(c -> edges.add(new int[] {i, labelPos.get(c.target())}));
                }
                case LookupSwitchInstruction t -> {
                    edges.add(new int[] {i, labelPos.get(t.defaultTarget())});
                    t.cases().forEach(c -> edges.add(new int[] {i, labelPos.get(c.target())}));
                }
                default -> { }
            }
        }
        Map<Label, Integer> gotosPerHeader = new HashMap<>();
        for (int[] e : edges) {
            if (e[1] < e[0]) {
                CodeElement from = els.get(e[0]);
                Label target = ((LabelTarget) els.get(e[1])).label();
                gotosPerHeader.merge(target, from instanceof BranchInstruction b && isUnconditional(b.opcode()) ? 1 : 1_000, Integer::sum);
            }
        }
        for (int g = 0; g < els.size(); g++) {
            if (!(els.get(g) instanceof BranchInstruction back) || !isUnconditional(back.opcode())) {
                continue;
            }
            int h = labelPos.get(back.target());
            if (h >= g || gotosPerHeader.getOrDefault(back.target(), 0) != 1) {
                continue; // forward jump, or a header with more than one back-edge (for example `continue`)
            }
            CountedLoop loop = matchCountedLoop(els, labelPos, catches, edges, depthIn, h, g, back.target());
            if (loop != null) {
                facts.countedLoops.put(loop.header(), loop);
            }
        }
    }

    private static CountedLoop matchCountedLoop(List<CodeElement> els, Map<Label, Integer> labelPos,
                                                List<ExceptionCatch> catches, List<int[]> edges, int[] depthIn,
                                                int h, int g, Label header) {
        // Header: iload i; <bound>; if_icmpge/if_icmpgt exit
        List<Integer> insns = new ArrayList<>();
        for (int i = h + 1; i < g && insns.size() < 4; i++) {
            CodeElement e = els.get(i);
            if (e instanceof LabelTarget) {
                return null;
            }
            if (e instanceof Instruction) {
                insns.add(i);
            }
        }
        if (insns.size() < 3 || depthIn[insns.getFirst()] != 0) {
            return null;
        }
        if (!(els.get(insns.get(0)) instanceof LoadInstruction li) || li.typeKind() != TypeKind.INT) {
            return null;
        }
        int indexSlot = li.slot();
        Bound bound;
        int testPos;
        CodeElement b1 = els.get(insns.get(1));
        if (b1 instanceof LoadInstruction lb && lb.typeKind() == TypeKind.INT && lb.slot() != indexSlot) {
            bound = new Bound.Local(lb.slot());
            testPos = insns.get(2);
        } else if (b1 instanceof ConstantInstruction c && c.typeKind() == TypeKind.INT
                && c.constantValue() instanceof Integer v) {
            bound = new Bound.Constant(v);
            testPos = insns.get(2);
        } else if (b1 instanceof LoadInstruction la && la.typeKind() == TypeKind.REFERENCE && insns.size() == 4
                && els.get(insns.get(2)) instanceof Instruction al && al.opcode() == Opcode.ARRAYLENGTH) {
            bound = new Bound.ArrayLength(la.slot());
            testPos = insns.get(3);
        } else {
            return null;
        }
        if (!(els.get(testPos) instanceof BranchInstruction test)
                || (test.opcode() != Opcode.IF_ICMPGE && test.opcode() != Opcode.IF_ICMPGT)
                || labelPos.get(test.target()) <= g) {
            return null;
        }
        // Body (testPos, g): straight-line code without calls (constant-time JDK ones aside), monitors, loops, or stores to i or the bound.
        int increments = 0;
        int size = 0;
        for (int i = testPos + 1; i < g; i++) {
            CodeElement e = els.get(i);
            if (!(e instanceof Instruction insn)) {
                continue;
            }
            if (++size > STRIP_BODY_INSTRUCTIONS_MAX) {
                return null;
            }
            switch (insn) {
                case InvokeInstruction x when !isConstantTimeJdkCall(x) -> { return null; }
                case InvokeDynamicInstruction x -> { return null; }
                case MonitorInstruction x -> { return null; }
                case StoreInstruction s when s.slot() == indexSlot || writesBound(bound, s.slot()) -> { return null; }
                case IncrementInstruction inc when inc.slot() == indexSlot -> {
                    if (inc.constant() <= 0) {
                        return null;
                    }
                    increments++;
                }
                case IncrementInstruction inc when writesBound(bound, inc.slot()) -> { return null; }
                default -> { }
            }
        }
        if (increments != 1) {
            return null;
        }
        for (int[] e : edges) {
            boolean fromInside = e[0] > h && e[0] <= g;
            boolean toInside = e[1] > h && e[1] <= g;
            if (fromInside && e[0] != g && e[1] <= e[0]) {
                return null; // another loop (or a `continue` to the header) inside
            }
            if (!fromInside && toInside) {
                return null; // a jump into the middle of the loop
            }
        }
        for (ExceptionCatch c : catches) {
            for (Label l : List.of(c.tryStart(), c.tryEnd(), c.handler())) {
                int p = labelPos.get(l);
                if (p > h && p < g) {
                    return null; // a try block or handler inside the body
                }
            }
        }
        return new CountedLoop(header, indexSlot, bound, test.opcode());
    }

    /**
     * JDK methods a strip-mined body may call: each returns in constant time and runs no code the program
     * supplies except through {@code CharSequence}, whose implementations the agent compiles like any other
     * code (their loops check). Commons Lang's Levenshtein distance calls {@code charAt} and {@code Math.min} in
     * its inner loop; with a check at every back-edge it ran 1.28x plain, because the check's volatile read keeps
     * C2 from hoisting the loop's loads; a check per chunk leaves them hoisted. Rejected: any call (a call into
     * uninstrumented JDK code that takes milliseconds would make a chunk of 8,192 iterations take seconds).
     */
    static boolean isConstantTimeJdkCall(InvokeInstruction x) {
        String owner = x.owner().asInternalName();
        String name = x.name().stringValue();
        String type = x.type().stringValue();
        return switch (owner) {
            case "java/lang/Math", "java/lang/StrictMath" -> x.opcode() == Opcode.INVOKESTATIC
                    && (name.equals("min") || name.equals("max") || name.equals("abs"));
            case "java/lang/String", "java/lang/CharSequence", "java/lang/StringBuilder" ->
                    (name.equals("charAt") && type.equals("(I)C")) || (name.equals("length") && type.equals("()I"));
            case "java/lang/Character" -> x.opcode() == Opcode.INVOKESTATIC
                    && (name.equals("isDigit") || name.equals("isLetter") || name.equals("isLetterOrDigit")
                        || name.equals("isWhitespace") || name.equals("toLowerCase") || name.equals("toUpperCase"));
            default -> false;
        };
    }

    private static boolean writesBound(Bound bound, int slot) {
        return switch (bound) {
            case Bound.Local l -> l.slot() == slot;
            case Bound.ArrayLength a -> a.arraySlot() == slot;
            case Bound.Constant c -> false;
        };
    }
}
