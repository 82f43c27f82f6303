package dev.weft.agent.internal;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;

/**
 * Routes the application's own hidden classes through the agent: rewrites each call of
 * {@code MethodHandles.Lookup.defineHiddenClass(byte[], boolean, ClassOption...)} and
 * {@code defineHiddenClassWithClassData(byte[], Object, boolean, ClassOption...)} into a call of the hook owner's
 * static method of the same name, which takes the lookup as its first argument, compiles checks into the bytes, and
 * defines them through the same lookup. The operand stack is the same before and after, so the rewrite is local.
 *
 * <p>Things that don't work: a {@link java.lang.instrument.ClassFileTransformer}. The JVM never passes a hidden
 * class to one (JVMTI's class-file load hook does not fire for hidden classes), so such classes ran without a
 * check and never appeared in the agent's report. Solution: the call site, where the bytes are still bytes.
 * {@code defineHiddenClass} is not caller-sensitive (access is the lookup's, not the caller's), so defining from the
 * hook behaves as from the application. Not covered: a definition through reflection or a method handle.
 */
final class HiddenClassDefinitions implements CodeTransform {
    static final ClassDesc LOOKUP = ClassDesc.of("java.lang.invoke.MethodHandles$Lookup");
    static final ClassDesc CLASS_OPTIONS = ClassDesc.of("java.lang.invoke.MethodHandles$Lookup$ClassOption")
            .arrayType();
    static final String DEFINE = "defineHiddenClass";
    static final String DEFINE_WITH_DATA = "defineHiddenClassWithClassData";
    static final MethodTypeDesc DEFINE_TYPE = MethodTypeDesc.of(LOOKUP, ConstantDescs.CD_byte.arrayType(),
            ConstantDescs.CD_boolean, CLASS_OPTIONS);
    static final MethodTypeDesc DEFINE_WITH_DATA_TYPE = MethodTypeDesc.of(LOOKUP, ConstantDescs.CD_byte.arrayType(),
            ConstantDescs.CD_Object, ConstantDescs.CD_boolean, CLASS_OPTIONS);

    private final Hook hook;
    private final MethodStats stats;

    HiddenClassDefinitions(Hook hook, MethodStats stats) {
        this.hook = hook;
        this.stats = stats;
    }

    /** True if {@code e} defines a hidden class: the call this transform rewrites. */
    static boolean isDefinition(CodeElement e) {
        if (!(e instanceof InvokeInstruction i) || i.opcode() != Opcode.INVOKEVIRTUAL
                || !i.owner().asSymbol().equals(LOOKUP)) {
            return false;
        }
        MethodTypeDesc type = i.typeSymbol();
        return i.name().equalsString(DEFINE) && type.equals(DEFINE_TYPE)
                || i.name().equalsString(DEFINE_WITH_DATA) && type.equals(DEFINE_WITH_DATA_TYPE);
    }

    @Override
    public void accept(CodeBuilder cb, CodeElement e) {
        if (isDefinition(e)) {
            InvokeInstruction i = (InvokeInstruction) e;
            hook.emitDefineHidden(cb, i.name().stringValue(), i.typeSymbol().insertParameterTypes(0, LOOKUP));
            stats.hiddenDefinitions++;
        } else {
            cb.with(e);
        }
    }
}
