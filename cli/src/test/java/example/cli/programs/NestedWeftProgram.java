package example.cli.programs;

import dev.weft.CancelScope;
import dev.weft.TaskScope;
import dev.weft.Weft;
import java.time.Duration;

/** A program written against Weft's API, the README's way: under weft run its root joins the launcher's root. */
public final class NestedWeftProgram {
    public static void main(String[] args) {
        System.exit(Weft.exitStatus(() -> Weft.run(() -> {
            String page = TaskScope.run(scope -> {
                var a = scope.spawn("mirror-a", () -> "a");
                var b = scope.spawn("mirror-b", () -> "b");
                return a.join() + b.join();
            });
            CancelScope deadline = CancelScope.withTimeout(Duration.ofMillis(100));
            deadline.run(() -> {
                try {
                    Weft.sleep(Duration.ofHours(1));
                } finally {
                    System.out.println("cleanup always runs");
                }
            });
            System.out.println("page " + page + " caught=" + deadline.cancelledCaught());
            if (args.length > 0 && args[0].equals("forever")) {
                while (true) {
                    Weft.sleep(Duration.ofMillis(50)); // level-triggered: the launcher's deadline ends it
                }
            }
            return page;
        })));
    }
}
