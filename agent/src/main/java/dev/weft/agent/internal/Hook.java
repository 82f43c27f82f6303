package dev.weft.agent.internal;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.util.Locale;

/**
 * Emits the cancellation check: a call of {@code dev.weft.abi.AgentHooks.poll()} (the runtime's ABI for the agent),
 * or its fast path inline.
 *
 * <p>The check is stack-neutral, so it may be placed where the operand stack holds values (before a conditional
 * back-edge). {@link Style#CALL} is three bytes of bytecode and leaves the fast path to the JIT's inlining of
 * {@code poll()}; {@link Style#INLINE} is nine bytes that read {@code PendingCancels.count} first.
 *
 * @param style how the check is emitted
 * @param owner the class whose {@code static void poll()}, {@code monitorEntered()} and {@code monitorExited()}
 *              (and the hidden-class definitions) are called ({@code dev.weft.abi.AgentHooks}; tests use a probe
 *              with the same shape)
 */
public record Hook(Style style, ClassDesc owner) {
    /** How the check is emitted. */
    public enum Style {
        /** {@code invokestatic dev/weft/abi/AgentHooks.poll()V}. */
        CALL,
        /** {@code getstatic PendingCancels.count; ifeq skip; invokestatic AgentHooks.poll()V; skip:}. */
        INLINE
    }

    public static final ClassDesc CANCELLATION = ClassDesc.of("dev.weft.abi.AgentHooks");
    static final ClassDesc PENDING_CANCELS = ClassDesc.of("dev.weft.internal.cancel.PendingCancels");
    static final String POLL = "poll";
    static final MethodTypeDesc POLL_TYPE = MethodTypeDesc.of(ConstantDescs.CD_void);
    static final String MONITOR_ENTERED = "monitorEntered";
    static final String MONITOR_EXITED = "monitorExited";

    /** The production hook: {@code dev.weft.abi.AgentHooks.poll()} in the given style. */
    public static Hook of(Style style) {
        return new Hook(style, CANCELLATION);
    }

    void emit(CodeBuilder cb) {
        if (style == Style.INLINE) {
            Label skip = cb.newLabel();
            cb.getstatic(PENDING_CANCELS, "count", ConstantDescs.CD_int);
            cb.ifeq(skip);
            cb.invokestatic(owner, POLL, POLL_TYPE);
            cb.labelBinding(skip);
        } else {
            cb.invokestatic(owner, POLL, POLL_TYPE);
        }
    }

    /** Counts a monitor the task now holds ({@link MonitorDepth}); the owner's {@code static void monitorEntered()}. */
    void emitMonitorEntered(CodeBuilder cb) {
        cb.invokestatic(owner, MONITOR_ENTERED, POLL_TYPE);
    }

    /** Counts a monitor the task is about to release; the owner's {@code static void monitorExited()}. */
    void emitMonitorExited(CodeBuilder cb) {
        cb.invokestatic(owner, MONITOR_EXITED, POLL_TYPE);
    }

    /**
     * Calls the owner's static {@code defineHiddenClass} or {@code defineHiddenClassWithClassData}
     * ({@link HiddenClassDefinitions}), which takes the lookup first and compiles checks into the bytes.
     */
    void emitDefineHidden(CodeBuilder cb, String name, MethodTypeDesc type) {
        cb.invokestatic(owner, name, type);
    }

    /** Parses {@code call} or {@code inline}. */
    static Style parseStyle(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "call" -> Style.CALL;
            case "inline" -> Style.INLINE;
            default -> throw new IllegalArgumentException("unknown hook style '" + text
                    + "'; use hook=call or hook=inline");
        };
    }
}
