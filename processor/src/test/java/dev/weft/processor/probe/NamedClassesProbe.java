package dev.weft.processor.probe;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Constructor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;

/**
 * Runs in a forked JVM: for each class named in the file given as the argument (binary names, one a line),
 * instantiates it with its no-argument constructor and prints {@code CASE name genShallow genDeep jolShallow
 * jolDeep instShallow}, the generated constants read from {@code <Outer_Inner>StaticSize}. Asserts nothing.
 */
public final class NamedClassesProbe {
    private NamedClassesProbe() {}

    /** Entry point: one argument, the file of class names. */
    public static void main(String[] args) throws Exception {
        Instrumentation inst = ProbeAgent.instrumentation;
        if (inst == null) {
            throw new IllegalStateException("run with -javaagent:<jar whose Premain-Class is ProbeAgent>");
        }
        for (String name : Files.readAllLines(Path.of(args[0]))) {
            Class<?> type = Class.forName(name);
            Constructor<?> constructor = type.getDeclaredConstructor();
            constructor.setAccessible(true);
            Object o = constructor.newInstance();
            int dot = name.lastIndexOf('.');
            Class<?> generated = Class.forName(name.substring(0, dot + 1)
                    + name.substring(dot + 1).replace('$', '_') + "StaticSize");
            System.out.println("CASE " + name + " " + generated.getField("SHALLOW_BYTES").getLong(null) + " "
                    + generated.getField("DEEP_BYTES").getLong(null) + " "
                    + ClassLayout.parseInstance(o).instanceSize() + " " + GraphLayout.parseInstance(o).totalSize() + " "
                    + inst.getObjectSize(o));
        }
    }
}
