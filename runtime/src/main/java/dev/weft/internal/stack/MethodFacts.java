package dev.weft.internal.stack;

import java.lang.classfile.Annotation;
import java.lang.classfile.AnnotationElement;
import java.lang.classfile.AnnotationValue;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LineNumber;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDesc;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the analysis needs of one method, read once from its class file: its interpreted frame size, its
 * declared recursion depth, and its call sites.
 *
 * @param owner      the declaring class (internal name)
 * @param name       the method's name
 * @param desc       its descriptor
 * @param isStatic   static
 * @param isAbstract abstract (no code)
 * @param isNative   native (no frame on a frozen stack)
 * @param isPrivate  private (never selected for a call resolved in another class)
 * @param locks      synchronized, or with a {@code monitorenter}: its virtual thread can freeze in it, blocked on
 *                   the monitor
 * @param frameWords the words of its interpreted frame ({@link FrameModel#frameWords})
 * @param argSlots   its parameter slots, including the receiver
 * @param maxDepth   the depth its {@code @MaxDepth} annotation declares, or -1
 * @param calls      its call sites, in code order
 */
record MethodFacts(String owner, String name, String desc, boolean isStatic, boolean isAbstract, boolean isNative,
        boolean isPrivate, boolean locks, long frameWords, int argSlots, int maxDepth, List<Call> calls) {

    /** The annotation that declares a recursion depth bound. */
    static final String MAX_DEPTH = "Ldev/weft/memory/MaxDepth;";

    /** A call site kind beyond the invoke opcodes. */
    enum CallKind {
        /** invokestatic. */
        STATIC,
        /** invokespecial: a constructor, a private or a super method. */
        SPECIAL,
        /** invokevirtual or invokeinterface: resolved by class-hierarchy analysis. */
        VIRTUAL,
        /** invokedynamic of {@code LambdaMetafactory}: creates a lambda (no frame that can be frozen). */
        LAMBDA,
        /** invokedynamic of {@code StringConcatFactory} whose arguments are primitives or strings only. */
        CONCAT_PLAIN,
        /** invokedynamic of {@code StringConcatFactory} with an object argument: calls its toString via handles. */
        CONCAT_OBJECTS,
        /** another invokedynamic (records' ObjectMethods, switch bootstraps, ...): its target is a handle tree. */
        INDY_OTHER
    }

    /**
     * A lambda a {@code LambdaMetafactory} call site creates: an object of a class the JDK spins at run time,
     * implementing {@code iface}'s {@code samName}, whose method calls {@code impl}.
     *
     * @param iface        the functional interface (internal name)
     * @param samName      the interface method's name
     * @param implKind     the implementation handle's kind ({@link DirectMethodHandleDesc.Kind})
     * @param implOwner    the implementation's class
     * @param implName     its name
     * @param implDesc     its descriptor
     * @param frameWords   the words of the spun class's forwarding frame
     */
    record Lambda(String iface, String samName, DirectMethodHandleDesc.Kind implKind, String implOwner, String implName,
            String implDesc, long frameWords) {}

    /**
     * One call site.
     *
     * @param kind        how its target is found
     * @param owner       the symbolic reference's class (arrays: {@code java/lang/Object})
     * @param name        its method name
     * @param desc        its descriptor
     * @param isInterface whether the reference is to an interface method
     * @param line        the source line, or -1
     * @param lambda      the lambda a LAMBDA site creates, else null
     */
    record Call(CallKind kind, String owner, String name, String desc, boolean isInterface, int line, Lambda lambda) {}

    /** The methods of a class, by name + descriptor, and its source file name (or null). */
    record ClassFacts(String name, String sourceFile, Map<String, MethodFacts> methods) {}

    /** Reads the facts of every method of a class file. */
    static ClassFacts read(byte[] bytes) {
        ClassModel cm = ClassFile.of().parse(bytes);
        String owner = cm.thisClass().asInternalName();
        String source = cm.findAttribute(Attributes.sourceFile()).map(s -> s.sourceFile().stringValue()).orElse(null);
        Map<String, MethodFacts> methods = new HashMap<>();
        for (MethodModel m : cm.methods()) {
            MethodFacts f = read(owner, m);
            methods.put(f.name() + f.desc(), f);
        }
        return new ClassFacts(owner, source, methods);
    }

    private static MethodFacts read(String owner, MethodModel m) {
        String name = m.methodName().stringValue();
        String desc = m.methodType().stringValue();
        boolean isStatic = m.flags().has(AccessFlag.STATIC);
        boolean isNative = m.flags().has(AccessFlag.NATIVE);
        boolean isPrivate = m.flags().has(AccessFlag.PRIVATE);
        int argSlots = argSlots(MethodTypeDesc.ofDescriptor(desc), isStatic);
        int maxDepth = maxDepth(m);
        if (m.code().isEmpty()) {
            return new MethodFacts(owner, name, desc, isStatic, !isNative, isNative, isPrivate, false, 0, argSlots, maxDepth,
                    List.of());
        }
        CodeAttribute code = (CodeAttribute) m.code().get();
        List<Call> calls = new ArrayList<>();
        int monitors = m.flags().has(AccessFlag.SYNCHRONIZED) ? 1 : 0;
        boolean appendix = false;
        int line = -1;
        for (CodeElement e : code) {
            switch (e) {
                case LineNumber ln -> line = ln.line();
                case MonitorInstruction mi when mi.opcode() == Opcode.MONITORENTER -> monitors++;
                case InvokeInstruction i -> {
                    String o = i.owner().asInternalName();
                    if (o.startsWith("[")) {
                        o = "java/lang/Object";
                    }
                    CallKind kind = switch (i.opcode()) {
                        case INVOKESTATIC -> CallKind.STATIC;
                        case INVOKESPECIAL -> CallKind.SPECIAL;
                        default -> CallKind.VIRTUAL;
                    };
                    if (isSignaturePolymorphic(o, i.name().stringValue())) {
                        appendix = true;
                    }
                    calls.add(new Call(kind, o, i.name().stringValue(), i.type().stringValue(), i.isInterface(), line,
                            null));
                }
                case InvokeDynamicInstruction indy -> {
                    appendix = true;
                    calls.add(indy(indy, line));
                }
                default -> { }
            }
        }
        long words = FrameModel.frameWords(code.maxLocals(), code.maxStack(), argSlots, monitors, appendix);
        return new MethodFacts(owner, name, desc, isStatic, false, false, isPrivate, monitors > 0, words, argSlots,
                maxDepth, List.copyOf(calls));
    }

    private static Call indy(InvokeDynamicInstruction indy, int line) {
        DirectMethodHandleDesc bsm = indy.bootstrapMethod();
        String bsmOwner = bsm.owner().descriptorString();
        MethodTypeDesc type = indy.typeSymbol();
        String name = indy.name().stringValue();
        if (bsmOwner.equals("Ljava/lang/invoke/LambdaMetafactory;")) {
            Lambda l = lambda(type, name, indy.bootstrapArgs());
            if (l != null) {
                return new Call(CallKind.LAMBDA, l.iface(), name, type.descriptorString(), true, line, l);
            }
        }
        if (bsmOwner.equals("Ljava/lang/invoke/StringConcatFactory;")) {
            boolean plain = true;
            for (ClassDesc p : type.parameterList()) {
                plain &= p.isPrimitive() || p.descriptorString().equals("Ljava/lang/String;");
            }
            return new Call(plain ? CallKind.CONCAT_PLAIN : CallKind.CONCAT_OBJECTS, internal(bsm.owner()), name,
                    type.descriptorString(), false, line, null);
        }
        return new Call(CallKind.INDY_OTHER, internal(bsm.owner()), bsm.methodName(), type.descriptorString(), false,
                line, null);
    }

    /** The lambda a {@code LambdaMetafactory} call site of {@code type} and {@code name} creates, or null. */
    private static Lambda lambda(MethodTypeDesc type, String name, List<ConstantDesc> args) {
        if (args.size() < 2 || !(args.get(0) instanceof MethodTypeDesc sam)
                || !(args.get(1) instanceof DirectMethodHandleDesc impl)) {
            return null;
        }
        int captured = argSlots(type, true);
        int samArgs = argSlots(sam, true);
        // the spun class's method: locals = this + the interface method's arguments; stack = the captured
        // values and the arguments, pushed for the call to impl, plus the receiver and a return value
        long words = FrameModel.frameWords(1 + samArgs, captured + samArgs + 2, 1 + samArgs, 0, false);
        return new Lambda(internal(type.returnType()), name, impl.kind(), internal(impl.owner()), impl.methodName(),
                impl.lookupDescriptor(), words);
    }

    /**
     * Every lambda a class's {@code LambdaMetafactory} call sites create, from its constant pool alone (no code is
     * read: the analysis registers the lambdas of every class in the universe before its first pass).
     */
    static void lambdas(byte[] bytes, List<Lambda> out) {
        ClassModel cm = ClassFile.of().parse(bytes);
        for (java.lang.classfile.constantpool.PoolEntry e : cm.constantPool()) {
            if (e instanceof java.lang.classfile.constantpool.InvokeDynamicEntry indy
                    && indy.bootstrap().bootstrapMethod().asSymbol().owner().descriptorString()
                            .equals("Ljava/lang/invoke/LambdaMetafactory;")) {
                List<ConstantDesc> args = new ArrayList<>();
                for (var a : indy.bootstrap().arguments()) {
                    args.add(a.constantValue());
                }
                Lambda l = lambda(indy.typeSymbol(), indy.name().stringValue(), args);
                if (l != null) {
                    out.add(l);
                }
            }
        }
    }

    /**
     * Whether a call to {@code owner} may be signature-polymorphic (then the interpreter may push an appendix):
     * any method of {@code MethodHandle} or {@code VarHandle}, a superset of the polymorphic ones.
     */
    static boolean isSignaturePolymorphic(String owner, String name) {
        return owner.equals("java/lang/invoke/MethodHandle") || owner.equals("java/lang/invoke/VarHandle");
    }

    private static int maxDepth(MethodModel m) {
        List<Annotation> list = new ArrayList<>();
        m.findAttribute(Attributes.runtimeVisibleAnnotations()).ifPresent(a -> list.addAll(a.annotations()));
        m.findAttribute(Attributes.runtimeInvisibleAnnotations()).ifPresent(a -> list.addAll(a.annotations()));
        for (Annotation a : list) {
            if (a.className().stringValue().equals(MAX_DEPTH)) {
                for (AnnotationElement el : a.elements()) {
                    if (el.name().stringValue().equals("value") && el.value() instanceof AnnotationValue.OfInt i) {
                        return Math.max(1, i.intValue()); // a method reached is on the stack at least once
                    }
                }
            }
        }
        return -1;
    }

    static int argSlots(MethodTypeDesc type, boolean isStatic) {
        int slots = isStatic ? 0 : 1;
        for (ClassDesc p : type.parameterList()) {
            slots += p.descriptorString().equals("J") || p.descriptorString().equals("D") ? 2 : 1;
        }
        return slots;
    }

    private static String internal(ClassDesc c) {
        String d = c.descriptorString();
        return d.startsWith("L") ? d.substring(1, d.length() - 1) : "java/lang/Object";
    }
}
