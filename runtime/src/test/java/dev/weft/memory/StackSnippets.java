package dev.weft.memory;

import java.nio.file.Path;
import java.util.List;

/**
 * The code of the {@code {@snippet}}s in {@link StackBound} and {@link MaxDepth}, compiled with the tests; Javadoc
 * shows each region from here ({@code {@snippet class=dev.weft.memory.StackSnippets region=...}}), and
 * {@code EverySnippetIsCompiledTest} checks every reference.
 */
@SuppressWarnings("unused")
final class StackSnippets {
    private StackSnippets() {}

    /** A binary tree node. */
    record Node(Node left, Node right) {}

    // @start region="maxDepth"
    @MaxDepth(64)                                  // a balanced tree of at most 2^64 nodes
    static int height(Node node) {
        return node == null ? 0 : 1 + Math.max(height(node.left()), height(node.right()));
    }
    // @end

    static void stackBound() {
        // @start region="stackBound"
        StackBound stack = StackBound.analyser()
                .classPath(List.of(Path.of("target/classes")))
                .maxDepth("com.example.Json#parseValue", 32)     // or @MaxDepth(32) on the method
                .analyse("com.example.Handler#handle");
        if (!stack.isBounded()) {
            throw new IllegalStateException(stack.report());      // names each unresolved call and cycle
        }
        MemoryPlan plan = MemoryPlan.builder("server")
                .stacks("handler stacks", 64, stack)              // 64 x stack.bytes(), the chunks' heap
                .build();
        // @end
    }

    static void frame(StackBound stack) {
        // @start region="frame"
        for (StackBound.Frame f : stack.worstPath()) {
            System.out.println(f.totalBytes() + " B  " + f.method() + "  called at " + f.callSite());
        }
        // @end
    }

    static void site(StackBound stack) {
        // @start region="site"
        for (StackBound.Site s : stack.unresolved()) {
            System.err.println(s.kind() + " at " + s.location() + ": " + s.target() + "; " + s.fix());
        }
        // @end
    }

    static void analyser() {
        // @start region="analyser"
        StackBound.Analyser analyser = StackBound.analyser()
                .classPath(List.of(Path.of("app.jar")))
                .declare("java.lang.Object#hashCode", 1024)  // calls to it cost at most 1 KiB
                .methodsMax(50_000);
        List<StackBound> bounds = analyser.analyse(List.of("com.example.A#run", "com.example.B#run"));
        // @end
    }
}
