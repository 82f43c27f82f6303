package dev.weft.agent.internal;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Label;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Places a check before every backward branch: {@code goto}, conditional branches, and {@code tableswitch} /
 * {@code lookupswitch} with a backward target (switch-driven loops). A branch is backward when its target label
 * was already bound earlier in the body. The check is skipped where this method holds a monitor (delivery is
 * deferred to {@link MonitorExitCheckpoint}) and at the back-edge of a loop {@link StripMining} handles.
 *
 * <p>With a period above 1, a counter local counts back-edges and only every period-th one checks.
 */
final class BackEdgeCheckpoint implements CodeTransform {
    private final Hook hook;
    private final MethodFacts facts;
    private final int every;
    private final MethodStats stats;
    private final FlowTracker flow;
    private final Set<Label> bound = Collections.newSetFromMap(new IdentityHashMap<>());
    private int counterSlot = -1;

    BackEdgeCheckpoint(Hook hook, MethodFacts facts, int every, MethodStats stats) {
        this.hook = hook;
        this.facts = facts;
        this.every = every;
        this.stats = stats;
        this.flow = new FlowTracker(facts);
    }

    @Override
    public void atStart(CodeBuilder cb) {
        if (every > 1) {
            counterSlot = cb.allocateLocal(TypeKind.INT);
            cb.iconst_0();
            cb.istore(counterSlot);
        }
    }

    @Override
    public void accept(CodeBuilder cb, CodeElement e) {
        flow.before(e);
        if (e instanceof LabelTarget lt) {
            bound.add(lt.label());
        } else if (isBackEdge(e)) {
            if (!flow.unlocked()) {
                stats.deferredInMonitor++;
            } else {
                emitCheck(cb);
                stats.backEdges++;
            }
        }
        cb.with(e);
        flow.after(e);
    }

    private boolean isBackEdge(CodeElement e) {
        return switch (e) {
            case BranchInstruction b -> bound.contains(b.target())
                    && !(MethodFacts.isUnconditional(b.opcode()) && facts.countedLoop(b.target()) != null);
            case TableSwitchInstruction t -> bound.contains(t.defaultTarget())
                    || t.cases().stream().anyMatch(c -> bound.contains(c.target()));
            case LookupSwitchInstruction t -> bound.contains(t.defaultTarget())
                    || t.cases().stream().anyMatch(c -> bound.contains(c.target()));
            default -> false;
        };
    }

    private void emitCheck(CodeBuilder cb) {
        if (every == 1) {
            hook.emit(cb);
            return;
        }
        Label skip = cb.newLabel();
        cb.iinc(counterSlot, 1);
        cb.iload(counterSlot);
        cb.loadConstant(every);
        cb.if_icmplt(skip);
        cb.iconst_0();
        cb.istore(counterSlot);
        hook.emit(cb);
        cb.labelBinding(skip);
    }
}
