package example.cli.programs;

import dev.weft.CancelScope;
import dev.weft.TaskScope;
import dev.weft.Weft;
import java.time.Duration;

/** Workers that wait in a deadline scope until cancelled: for weft dump PID. Prints "ready" once all wait. */
public final class WaitingWorkersProgram {
    private WaitingWorkersProgram() {}

    public static void main(String[] args) {
        Weft.run(() -> TaskScope.run(scope -> {
            for (int i = 0; i < 3; i++) {
                scope.spawn("worker", () -> {
                    CancelScope.withTimeout(Duration.ofHours(1)).name("work-deadline").run(() ->
                            Weft.sleep(Duration.ofHours(2)));
                    return null;
                });
            }
            System.out.println("ready");
            System.out.flush();
            Weft.sleep(Duration.ofHours(2));
            return null;
        }));
    }
}
