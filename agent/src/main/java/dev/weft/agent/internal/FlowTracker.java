package dev.weft.agent.internal;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.LabelTarget;

/**
 * Follows the monitor depth and ordinary reachability while a method body streams through a transform: at a
 * label it takes the values {@link MethodFacts} computed, monitor instructions move the depth, and after an
 * unconditional jump the state is unknown (never poll) until the next label.
 */
final class FlowTracker {
    private final MethodFacts facts;
    // touched only by the transform that owns this tracker, on the transforming thread
    private int depth = 0;
    private boolean normal = true;

    FlowTracker(MethodFacts facts) {
        this.facts = facts;
    }

    /** Call before handling {@code e}: the state then describes the point just before {@code e}. */
    void before(CodeElement e) {
        if (e instanceof LabelTarget lt) {
            depth = facts.depthAt(lt.label(), depth);
            normal = facts.normalAt(lt.label(), normal);
        }
    }

    /** Call after handling {@code e}: the state then describes the point just after {@code e}. */
    void after(CodeElement e) {
        if (e instanceof Instruction insn) {
            if (depth != MethodFacts.DEPTH_UNKNOWN) {
                if (insn.opcode() == Opcode.MONITORENTER) {
                    depth++;
                } else if (insn.opcode() == Opcode.MONITOREXIT) {
                    depth = Math.max(0, depth - 1);
                }
            }
            if (MethodFacts.endsFlow(insn)) {
                depth = MethodFacts.DEPTH_UNKNOWN;
                normal = false;
            }
        }
    }

    /** True if the current point certainly holds no monitor of this method's. */
    boolean unlocked() {
        return depth == 0;
    }

    boolean normal() {
        return normal;
    }
}
