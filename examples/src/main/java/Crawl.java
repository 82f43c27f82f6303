import dev.weft.*;
import java.time.Duration;

public class Crawl {
    public static void main(String[] args) {
        System.exit(Weft.exitStatus(() -> Weft.run(() -> {          // main is the root task; Ctrl-C cancels it
            String page = TaskScope.run(scope -> {                   // children never outlive the scope
                Task<String> a = scope.spawn("mirror-a", () -> fetch("a"));
                Task<String> b = scope.spawn("mirror-b", () -> fetch("b"));
                return a.join() + b.join();                          // a failure cancels the sibling
            });
            System.out.println("fetched " + page);
            CancelScope deadline = CancelScope.withTimeout(Duration.ofMillis(200));
            deadline.run(() -> {
                try { Weft.sleep(Duration.ofHours(1)); }             // wakes when the deadline passes
                finally { System.out.println("cleanup always runs"); }
            });
            System.out.println("deadline caught: " + deadline.cancelledCaught()); // and we continue here
        })));
    }
    static String fetch(String m) { Weft.sleep(Duration.ofMillis(50)); return m; }
}
