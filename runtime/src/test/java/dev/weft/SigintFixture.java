package dev.weft;

import java.time.Duration;

/** A program for {@link InterruptTest}: waits forever; prints when its cleanup starts and ends. */
public final class SigintFixture {
    private SigintFixture() {}

    public static void main(String[] args) {
        boolean slowCleanup = args.length > 0 && args[0].equals("slow-cleanup");
        int status = Weft.exitStatus(() -> Weft.run(() -> {
            try {
                System.out.println("ready");
                System.out.flush();
                Weft.sleep(Duration.ofHours(1));
            } finally {
                System.out.println("cleanup started");
                System.out.flush();
                if (slowCleanup) {
                    CancelScope.shielded(Duration.ofHours(1), () -> {
                        System.out.println("cleanup waiting"); // inside the shield: a dump from now on shows it
                        System.out.flush();
                        Weft.sleep(Duration.ofHours(1));
                    });
                }
                System.out.println("cleanup done");
                System.out.flush();
            }
            return null;
        }));
        System.exit(status);
    }
}
