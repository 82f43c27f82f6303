package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wake-ups from a foreign platform thread to a task on an otherwise idle loop, tens of thousands of times:
 * every hand-off races the loop's carrier going to sleep. A lost wake-up leaves the task runnable while
 * the carrier stays parked, and the test times out.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WakeupStressTest {

    @Test
    void foreignWakeupsAreNeverLostWhileTheCarrierParks() throws Exception {
        int rounds = 30_000;
        LinkedBlockingQueue<Integer> toTask = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<Integer> toThread = new LinkedBlockingQueue<>();
        Thread feeder = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < rounds; i++) {
                    toTask.put(i);
                    Integer ack = toThread.poll(30, TimeUnit.SECONDS);
                    if (ack == null) {
                        return; // the task never answered: the assertion below reports it
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        int last = Runs.loops(2, () -> {
            int got = -1;
            for (int i = 0; i < rounds; i++) {
                Integer v = toTask.poll(30, TimeUnit.SECONDS);
                if (v == null) {
                    break;
                }
                got = v;
                toThread.put(v);
            }
            return got;
        });
        feeder.join();
        assertThat(last).isEqualTo(rounds - 1);
    }
}
