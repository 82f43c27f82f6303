package dev.weft.agent.internal;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.PseudoInstruction;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Versions each {@linkplain MethodFacts.CountedLoop counted loop}: one check at the header, then the loop exactly
 * as compiled if what remains of it fits in one chunk, else an outer loop that checks once per chunk around an
 * inner loop with no check. Either inner loop is one the JIT still recognizes as a counted loop and may unroll and
 * vectorize (HotSpot strip-mines its own safepoint polls the same way).
 *
 * <pre>{@code
 * H: iload i; <bound>; if_icmpge EXIT           H: iload i; <bound>; if_icmpge EXIT
 *    body; iinc i, s                      =>        <check>
 *    goto H                                         if ((long) <bound> - i > CHUNK) goto MINED
 * EXIT:                                          P: body'; iinc i, s                  (the loop as compiled,
 *                                                   iload i; <bound>; if_icmplt P      bottom-tested)
 *                                                   goto EXIT
 *                                            MINED: lim = Math.min(<bound>, i + CHUNK)
 *                                                I: body; iinc i, s
 *                                                   iload i; iload lim; if_icmplt I
 *                                                   goto H
 *                                                EXIT:
 * }</pre>
 * {@code body'} is a copy of the body with fresh labels for the labels bound inside it (its debug ranges are not
 * copied). Things that don't work: strip mining alone (no copy) costs a loop that is short anyway, such as the
 * inner loop of a 128x128 matrix multiply, a second loop test and a {@code Math.min} per run of the loop, and
 * HotSpot's pre- and post-loops per chunk: +25 % on the matrix multiply. Solution: the copy, which runs loops no
 * longer than one chunk as compiled, with one check before them.
 *
 * <p>The bound is loaded again, so only side-effect-free bounds qualify (a local the body does not write, the
 * length of an array in such a local, a constant). If {@code i + CHUNK} overflows, {@code lim} is below {@code i}:
 * the inner loop then runs one iteration per chunk, slower but still correct. The remaining count is computed in
 * {@code long}, so it cannot overflow.
 */
final class StripMining implements CodeTransform {
    private static final ClassDesc MATH = ClassDesc.of("java.lang.Math");
    private static final MethodTypeDesc MIN_TYPE = MethodTypeDesc.of(ConstantDescs.CD_int, ConstantDescs.CD_int,
            ConstantDescs.CD_int);

    private final Hook hook;
    private final MethodFacts facts;
    private final int chunk;
    private final MethodStats stats;
    // state of the loop being rewritten; loops that qualify contain no other loop, so one at a time
    private MethodFacts.CountedLoop active;
    private Label exit; // the loop's exit label (target of the header test)
    private List<CodeElement> body; // buffered body, between the header test and the back-edge; null: not in body
    private int limSlot = -1;

    StripMining(Hook hook, MethodFacts facts, int chunk, MethodStats stats) {
        this.hook = hook;
        this.facts = facts;
        this.chunk = chunk;
        this.stats = stats;
    }

    @Override
    public void accept(CodeBuilder cb, CodeElement e) {
        if (e instanceof LabelTarget lt && facts.countedLoop(lt.label()) != null) {
            assert active == null : "counted loops do not nest";
            active = facts.countedLoop(lt.label());
            body = null;
            cb.with(e);
            return;
        }
        if (active == null) {
            cb.with(e);
            return;
        }
        if (body == null) {
            cb.with(e);
            if (e instanceof BranchInstruction test && test.opcode() == active.exitOpcode()) {
                exit = test.target();
                body = new ArrayList<>();
            }
            return;
        }
        if (e instanceof BranchInstruction back && MethodFacts.isUnconditional(back.opcode())
                && back.target() == active.header()) {
            emitVersions(cb, back);
            stats.stripMined++;
            active = null;
            body = null;
            return;
        }
        body.add(e);
    }

    /**
     * Iterations per check for a loop of {@code instructions} bytecode instructions an iteration: about
     * {@code chunk * }{@link #WORK_FACTOR} instructions per check, a power of two between {@code chunk} and
     * {@code chunk * }{@link #GROWTH_MAX}. Things that don't work: a fixed 1,024 iterations. Each chunk runs C2's
     * pre-loop, vectorized main loop and post-loop again (it cannot hoist them out of our outer loop, as it does
     * for its own strip mining), which cost a vectorized {@code a[i] = b[i] * k} +14 %; the smaller the body,
     * the larger that share. Solution: chunks sized by the body, so a check covers about the same work.
     */
    static int chunkFor(int chunk, int instructions) {
        long target = (long) chunk * WORK_FACTOR / Math.max(1, instructions);
        long size = Long.highestOneBit(Math.max(1, target));
        return (int) Math.max(chunk, Math.min((long) chunk * GROWTH_MAX, size));
    }

    /** Instructions per check, as a multiple of the chunk option: a body of this many runs {@code chunk}. */
    static final int WORK_FACTOR = 128;
    /** The largest chunk, as a multiple of the chunk option. */
    static final int GROWTH_MAX = 8;

    private void emitVersions(CodeBuilder cb, CodeElement backEdge) {
        int instructions = 0;
        for (CodeElement e : body) {
            if (e instanceof Instruction) {
                instructions++;
            }
        }
        int chunk = this.chunk != AgentOptions.CHUNK_BY_BODY ? this.chunk
                : chunkFor(AgentOptions.CHUNK_DEFAULT, instructions + 4); // + the loop test
        boolean inclusive = active.exitOpcode() == Opcode.IF_ICMPGT; // i <= bound
        Label mined = cb.newLabel();
        hook.emit(cb);
        // remaining = bound - i (+1 if inclusive), in long; more than one chunk: strip-mined
        loadBound(cb, active.bound());
        cb.i2l();
        cb.iload(active.indexSlot());
        cb.i2l();
        cb.lsub();
        cb.loadConstant((long) (inclusive ? chunk - 1 : chunk));
        cb.lcmp();
        cb.ifgt(mined);
        // the loop as compiled, bottom-tested (the header test has passed)
        Map<Label, Label> fresh = new IdentityHashMap<>();
        for (CodeElement e : body) {
            if (e instanceof LabelTarget lt) {
                fresh.put(lt.label(), cb.newLabel());
            }
        }
        Label plain = cb.newBoundLabel();
        for (CodeElement e : body) {
            emitCopy(cb, e, fresh);
        }
        cb.iload(active.indexSlot());
        loadBound(cb, active.bound());
        if (inclusive) {
            cb.if_icmple(plain);
        } else {
            cb.if_icmplt(plain);
        }
        cb.goto_(exit);
        // strip-mined: a check per chunk
        cb.labelBinding(mined);
        if (limSlot < 0) {
            limSlot = cb.allocateLocal(TypeKind.INT);
        }
        loadBound(cb, active.bound());
        cb.iload(active.indexSlot());
        cb.loadConstant(inclusive ? chunk - 1 : chunk); // i <= lim runs one iteration more than i < lim
        cb.iadd();
        cb.invokestatic(MATH, "min", MIN_TYPE);
        cb.istore(limSlot);
        Label inner = cb.newBoundLabel();
        for (CodeElement e : body) {
            cb.with(e);
        }
        cb.iload(active.indexSlot());
        cb.iload(limSlot);
        if (inclusive) {
            cb.if_icmple(inner);
        } else {
            cb.if_icmplt(inner);
        }
        cb.with(backEdge);
    }

    /** Emits {@code e} with labels bound in the body replaced by their copies; debug ranges are not copied. */
    private static void emitCopy(CodeBuilder cb, CodeElement e, Map<Label, Label> fresh) {
        switch (e) {
            case LabelTarget lt -> cb.labelBinding(fresh.get(lt.label()));
            case BranchInstruction b -> cb.branch(b.opcode(), fresh.getOrDefault(b.target(), b.target()));
            case TableSwitchInstruction t -> cb.tableswitch(t.lowValue(), t.highValue(),
                    fresh.getOrDefault(t.defaultTarget(), t.defaultTarget()), cases(t.cases(), fresh));
            case LookupSwitchInstruction t -> cb.lookupswitch(fresh.getOrDefault(t.defaultTarget(), t.defaultTarget()),
                    cases(t.cases(), fresh));
            case PseudoInstruction p -> { } // local variable ranges, line numbers: kept on the original only
            default -> cb.with(e);
        }
    }

    private static List<SwitchCase> cases(List<SwitchCase> cases, Map<Label, Label> fresh) {
        List<SwitchCase> out = new ArrayList<>(cases.size());
        for (SwitchCase c : cases) {
            out.add(SwitchCase.of(c.caseValue(), fresh.getOrDefault(c.target(), c.target())));
        }
        return out;
    }

    private static void loadBound(CodeBuilder cb, MethodFacts.Bound bound) {
        switch (bound) {
            case MethodFacts.Bound.Local l -> cb.iload(l.slot());
            case MethodFacts.Bound.ArrayLength a -> {
                cb.aload(a.arraySlot());
                cb.arraylength();
            }
            case MethodFacts.Bound.Constant c -> cb.loadConstant(c.value());
        }
    }
}
