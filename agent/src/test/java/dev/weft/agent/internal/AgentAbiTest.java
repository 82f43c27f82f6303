package dev.weft.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;

import example.agent.HiddenClasses;
import example.agent.Loops;
import example.agent.Monitors;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The agent's contract with the runtime: every owner, name and descriptor the agent emits into application
 * bytecode, in every hook style, exists in the real runtime as a public static member of a public class in an
 * exported package, with exactly that descriptor.
 */
class AgentAbiTest {
    private static final List<String> FIXTURES = List.of(Loops.class.getName(), Monitors.class.getName(),
            HiddenClasses.class.getName());

    /** "owner.name descriptor" of every reference into dev/weft/ the compiled fixtures make. */
    private static Set<String> emittedReferences(Hook.Style style) {
        CheckpointCompiler compiler = new CheckpointCompiler(
                AgentOptions.parse("hook=" + style.name().toLowerCase(java.util.Locale.ROOT)));
        Set<String> refs = new TreeSet<>();
        for (String name : FIXTURES) {
            byte[] original = TransformingLoader.bytesOf(name);
            CheckpointCompiler.Result r = compiler.compile(original, AgentAbiTest.class.getClassLoader(), true);
            assertThat(r.bytes()).as("the agent compiled checks into " + name).isNotNull();
            ClassModel cm = ClassFile.of().parse(r.bytes());
            for (MethodModel m : cm.methods()) {
                m.code().ifPresent(code -> {
                    for (CodeElement e : code) {
                        if (e instanceof InvokeInstruction i && i.owner().asInternalName().startsWith("dev/weft/")) {
                            refs.add("M " + i.owner().asInternalName() + "." + i.name().stringValue() + " "
                                    + i.type().stringValue());
                        } else if (e instanceof FieldInstruction f
                                && f.owner().asInternalName().startsWith("dev/weft/")) {
                            refs.add("F " + f.owner().asInternalName() + "." + f.name().stringValue() + " "
                                    + f.type().stringValue());
                        }
                    }
                });
            }
        }
        return refs;
    }

    @Test
    void everyReferenceTheAgentEmitsResolvesToAPublicStaticMemberOfTheRuntime() throws Exception {
        List<String> problems = new ArrayList<>();
        Set<String> all = new TreeSet<>();
        for (Hook.Style style : Hook.Style.values()) {
            all.addAll(emittedReferences(style));
        }
        assertThat(all).as("the agent emits calls into the runtime").isNotEmpty();
        for (String ref : all) {
            String[] parts = ref.split(" ");
            String kind = parts[0];
            String ownerAndName = parts[1];
            String descriptor = parts[2];
            int dot = ownerAndName.lastIndexOf('.');
            String owner = ownerAndName.substring(0, dot).replace('/', '.');
            String name = ownerAndName.substring(dot + 1);
            Class<?> c;
            try {
                c = Class.forName(owner, false, AgentAbiTest.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                problems.add(ref + ": no class " + owner);
                continue;
            }
            if (!Modifier.isPublic(c.getModifiers())) {
                problems.add(ref + ": " + owner + " is not public");
            }
            if (kind.equals("M")) {
                Method found = null;
                for (Method m : c.getDeclaredMethods()) {
                    if (m.getName().equals(name) && MethodTypeDesc.of(m.getReturnType().describeConstable().orElseThrow(),
                            java.util.Arrays.stream(m.getParameterTypes())
                                    .map(p -> p.describeConstable().orElseThrow()).toList()
                                    .toArray(new java.lang.constant.ClassDesc[0]))
                            .descriptorString().equals(descriptor)) {
                        found = m;
                    }
                }
                if (found == null) {
                    problems.add(ref + ": no method " + name + descriptor + " in " + owner);
                } else if (!Modifier.isStatic(found.getModifiers()) || !Modifier.isPublic(found.getModifiers())) {
                    problems.add(ref + ": " + name + " is not public static");
                }
            } else {
                try {
                    Field f = c.getDeclaredField(name);
                    if (!f.getType().descriptorString().equals(descriptor)) {
                        problems.add(ref + ": field type is " + f.getType().descriptorString());
                    }
                    if (!Modifier.isStatic(f.getModifiers()) || !Modifier.isPublic(f.getModifiers())) {
                        problems.add(ref + ": field is not public static");
                    }
                } catch (NoSuchFieldException e) {
                    problems.add(ref + ": no field " + name + " in " + owner);
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void theDefaultHookCallsTheAbiClassNotTheUserApi() {
        Set<String> refs = emittedReferences(Hook.Style.CALL);
        assertThat(refs).contains("M dev/weft/abi/AgentHooks.poll ()V",
                "M dev/weft/abi/AgentHooks.monitorEntered ()V", "M dev/weft/abi/AgentHooks.monitorExited ()V",
                "M dev/weft/abi/AgentHooks.defineHiddenClass (Ljava/lang/invoke/MethodHandles$Lookup;[BZ"
                        + "[Ljava/lang/invoke/MethodHandles$Lookup$ClassOption;)Ljava/lang/invoke/MethodHandles$Lookup;",
                "M dev/weft/abi/AgentHooks.defineHiddenClassWithClassData (Ljava/lang/invoke/MethodHandles$Lookup;[B"
                        + "Ljava/lang/Object;Z[Ljava/lang/invoke/MethodHandles$Lookup$ClassOption;)"
                        + "Ljava/lang/invoke/MethodHandles$Lookup;");
        assertThat(refs).noneMatch(r -> r.contains("dev/weft/Cancellation"));
    }

    @Test
    void theAbiPackageIsExportedByTheRuntimeModule() throws Exception {
        java.net.URL where = Class.forName("dev.weft.abi.AgentHooks").getProtectionDomain().getCodeSource()
                .getLocation();
        java.nio.file.Path root = java.nio.file.Path.of(where.toURI());
        java.lang.module.ModuleDescriptor d;
        if (java.nio.file.Files.isDirectory(root)) {
            try (var in = java.nio.file.Files.newInputStream(root.resolve("module-info.class"))) {
                d = java.lang.module.ModuleDescriptor.read(in);
            }
        } else {
            try (var jar = new java.util.jar.JarFile(root.toFile())) {
                d = java.lang.module.ModuleDescriptor.read(jar.getInputStream(jar.getEntry("module-info.class")));
            }
        }
        assertThat(d.name()).isEqualTo("dev.weft");
        assertThat(d.exports()).anyMatch(e -> e.source().equals("dev.weft.abi") && !e.isQualified());
    }
}
