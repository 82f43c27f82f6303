package dev.weft.agent.internal;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.Label;
import java.lang.classfile.instruction.DiscontinuedInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;

/**
 * Class files of the versions before stack maps (45.3 as javac 1.0 wrote them, 49 as Java 5 did), built with
 * {@code java.lang.classfile}: what the CLI parser shaded into JUnit's console launcher or an old ASM looks like to
 * the agent. The class {@code NAME} has:
 * <ul>
 *   <li>{@code static volatile boolean stop} and {@code static void spinForever()}: {@code while (!stop) x++;} with
 *       no call;</li>
 *   <li>{@code static int countTo(int n)}: {@code for (i = 0; i < n; i++) c += i & 1;} then {@code return i};</li>
 *   <li>{@code static int viaSubroutine(int n)}: {@code countTo}'s loop followed by a {@code jsr} to a subroutine
 *       that {@code ret}s, as javac before 1.4.2 compiled {@code finally}; returns {@code n + 1};</li>
 *   <li>if {@code broken}, {@code static Object broken(int n)}: a loop, then {@code iconst_0; areturn}, which no
 *       verifier accepts.</li>
 * </ul>
 */
final class OldClassFiles {
    private OldClassFiles() {}

    static byte[] build(String name, int major, int minor, boolean broken) {
        ClassDesc self = ClassDesc.of(name);
        return ClassFile.of().build(self, cb -> {
            cb.withVersion(major, minor);
            cb.withFlags(AccessFlag.PUBLIC, AccessFlag.SUPER);
            cb.withSuperclass(CD_Object);
            cb.withField("stop", CD_boolean, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC | ClassFile.ACC_VOLATILE);
            cb.withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                    c -> c.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_());
            cb.withMethodBody("spinForever", MTD_void, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, c -> {
                Label head = c.newLabel();
                Label end = c.newLabel();
                c.lconst_0().lstore(0);
                c.labelBinding(head);
                c.getstatic(self, "stop", CD_boolean).ifne(end);
                c.lload(0).lconst_1().ladd().lstore(0);
                c.goto_(head);
                c.labelBinding(end);
                c.return_();
            });
            MethodTypeDesc intToInt = MethodTypeDesc.of(CD_int, CD_int);
            cb.withMethodBody("countTo", intToInt, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, c -> {
                countLoop(c);
                c.iload(1).ireturn();
            });
            cb.withMethodBody("viaSubroutine", intToInt, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, c -> {
                Label subroutine = c.newLabel();
                countLoop(c);
                c.with(DiscontinuedInstruction.JsrInstruction.of(subroutine));
                c.iload(1).iconst_1().iadd().ireturn();
                c.labelBinding(subroutine);
                c.astore(3);
                c.with(DiscontinuedInstruction.RetInstruction.of(3));
            });
            if (broken) {
                cb.withMethodBody("broken", MethodTypeDesc.of(CD_Object, CD_int),
                        ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, c -> {
                            countLoop(c);
                            c.iconst_0().areturn();
                        });
            }
        });
    }

    /** Defines {@code bytes} in a new loader under the test's own: verified, as every class outside the boot loader. */
    static Class<?> define(byte[] bytes) {
        return new ClassLoader("old-class-files", OldClassFiles.class.getClassLoader()) {
            Class<?> define() {
                return defineClass(null, bytes, 0, bytes.length);
            }
        }.define();
    }

    /** {@code i = 0; c = 0; while (i < n) { c += i & 1; i++; }} with n in slot 0, i in slot 1, c in slot 2. */
    private static void countLoop(java.lang.classfile.CodeBuilder c) {
        Label head = c.newLabel();
        Label end = c.newLabel();
        c.iconst_0().istore(1);
        c.iconst_0().istore(2);
        c.labelBinding(head);
        c.iload(1).iload(0).if_icmpge(end);
        c.iload(2).iload(1).iconst_1().iand().iadd().istore(2);
        c.iinc(1, 1);
        c.goto_(head);
        c.labelBinding(end);
    }
}
