package dev.weft.memory.stack;

import dev.weft.memory.StackBound;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.reflect.AccessFlag;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Times the stack analysis of every method with code in a jar (each one an entry, over one graph), for
 * docs/benchmarks.md; measured, never asserted.
 *
 * <p>Run with {@code java -cp runtime/target/test-classes:runtime/target/classes
 * dev.weft.memory.stack.ClassPathTiming guava.jar [off]}; with {@code off}, the analysis is without the agent's
 * checks ({@code StackBound.Analyser#agentChecks}).
 */
public final class ClassPathTiming {
    private ClassPathTiming() {}

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        List<String> entries = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                if (!e.getName().endsWith(".class") || e.getName().startsWith("META-INF/")
                        || e.getName().endsWith("module-info.class")) {
                    continue;
                }
                ClassModel cm = ClassFile.of().parse(zip.getInputStream(e).readAllBytes());
                String owner = cm.thisClass().asInternalName().replace('/', '.');
                for (MethodModel m : cm.methods()) {
                    if (m.code().isPresent() && !m.flags().has(AccessFlag.NATIVE)) {
                        entries.add(owner + "#" + m.methodName().stringValue() + m.methodType().stringValue());
                    }
                }
            }
        }
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        long process0 = os.getProcessCpuTime();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        boolean agentChecks = !(args.length > 1 && args[1].equals("off"));
        List<StackBound> bounds = StackBound.analyser().classPath(List.of(jar)).methodsMax(1_000_000)
                .agentChecks(agentChecks).analyse(entries);
        long ns = System.nanoTime() - t0;
        long cpuNs = threads.getCurrentThreadCpuTime() - cpu0;
        long processNs = os.getProcessCpuTime() - process0;
        int bounded = 0;
        long visited = 0;
        for (StackBound b : bounds) {
            bounded += b.isBounded() ? 1 : 0;
            visited = Math.max(visited, b.methodsVisited());
        }
        System.out.printf("%s (agent checks %s): %d methods analysed as entries in %.2f s wall, %.2f s CPU of the analysing thread,"
                + " %.2f s CPU of the process; %d bounded; %d methods in the graph%n", jar.getFileName(),
                agentChecks ? "on" : "off", entries.size(),
                ns / 1e9, cpuNs / 1e9, processNs / 1e9,
                bounded, visited);
    }
}
