package dev.weft.agent.internal;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;

/**
 * Splits each {@linkplain MethodFacts.CountedLoop counted loop} into an outer loop that checks once per chunk and
 * an inner loop with no check, which the JIT still recognizes as a counted loop and may unroll and vectorize
 * (HotSpot does the same for its own safepoint polls: loop strip mining).
 *
 * <pre>{@code
 * H: iload i; <bound>; if_icmpge EXIT           H: iload i; <bound>; if_icmpge EXIT
 *    body; iinc i, s                      =>        <check>
 *    goto H                                         lim = Math.min(<bound>, i + CHUNK)
 * EXIT:                                          I: body; iinc i, s
 *                                                   iload i; iload lim; if_icmplt I
 *                                                   goto H
 *                                                EXIT:
 * }</pre>
 * The bound is loaded a second time, so only side-effect-free bounds qualify (a local the body does not write,
 * the length of an array in such a local, a constant). If {@code i + CHUNK} overflows, {@code lim} is below
 * {@code i}: the inner loop then runs one iteration per chunk, which is slower but still correct.
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
    private boolean inBody;
    private Label inner;
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
            inBody = false;
            cb.with(e);
            return;
        }
        if (active == null) {
            cb.with(e);
            return;
        }
        if (!inBody && e instanceof BranchInstruction test && test.opcode() == active.exitOpcode()) {
            cb.with(e);
            if (limSlot < 0) {
                limSlot = cb.allocateLocal(TypeKind.INT);
            }
            hook.emit(cb);
            loadBound(cb, active.bound());
            cb.iload(active.indexSlot());
            cb.loadConstant(chunk);
            cb.iadd();
            cb.invokestatic(MATH, "min", MIN_TYPE);
            cb.istore(limSlot);
            inner = cb.newBoundLabel();
            inBody = true;
            return;
        }
        if (inBody && e instanceof BranchInstruction back && MethodFacts.isUnconditional(back.opcode())
                && back.target() == active.header()) {
            cb.iload(active.indexSlot());
            cb.iload(limSlot);
            if (active.exitOpcode() == Opcode.IF_ICMPGE) {
                cb.if_icmplt(inner);
            } else {
                cb.if_icmple(inner);
            }
            cb.with(e);
            stats.stripMined++;
            active = null;
            return;
        }
        cb.with(e);
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
