package dev.weft;

import static dev.weft.internal.LincheckScenarios.actor;
import static dev.weft.internal.LincheckScenarios.scenario;

import java.util.ArrayDeque;
import java.util.List;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.junit.jupiter.api.Test;

/**
 * Model checking of a {@link Channel}'s operations that never wait ({@code trySend}, {@code tryReceive},
 * {@code size}, {@code close}, {@code isClosed}) on one channel of capacity 2, against a sequential bounded FIFO.
 * A {@link ChannelClosedException} is a result like any other.
 *
 * <p>The hand-written scenarios race the pairs that share the ring's indices or the closed flag; random scenarios
 * follow.
 */
@Param(name = "v", gen = IntGen.class, conf = "1:5")
public class ChannelLincheckTest {
    private static final int CAPACITY = 2;

    private final Channel<Integer> channel = Channel.create(CAPACITY);

    /** Lincheck creates one instance per scenario run. */
    public ChannelLincheckTest() {}

    @Operation
    public boolean trySend(@Param(name = "v") int v) {
        return channel.trySend(v);
    }

    @Operation
    public Integer tryReceive() {
        return channel.tryReceive();
    }

    @Operation
    public int size() {
        return channel.size();
    }

    @Operation
    public void close() {
        channel.close();
    }

    @Operation
    public boolean isClosed() {
        return channel.isClosed();
    }

    /** Sequential specification. */
    public static class Spec {
        private final ArrayDeque<Integer> items = new ArrayDeque<>();
        private boolean closed;

        public Spec() {}

        public boolean trySend(int v) {
            if (closed) {
                throw new ChannelClosedException("send on a closed channel");
            }
            if (items.size() == CAPACITY) {
                return false;
            }
            items.add(v);
            return true;
        }

        public Integer tryReceive() {
            return items.poll(); // a closed channel still drains
        }

        public int size() {
            return items.size();
        }

        public void close() {
            closed = true;
        }

        public boolean isClosed() {
            return closed;
        }
    }

    private static Actor op(String name, Object... args) {
        return actor(ChannelLincheckTest.class, name, args);
    }

    @Test
    void channelNonBlockingOperationsAreLinearizable() {
        var options = new ModelCheckingOptions()
                .iterations(3)
                .invocationsPerIteration(40)
                .threads(2)
                .actorsPerThread(2)
                .actorsBefore(2)
                .actorsAfter(1)
                .sequentialSpecification(Spec.class);
        List.of(
                // two receivers, one element: exactly one gets it
                scenario(List.of(op("trySend", 1)), List.of(List.of(op("tryReceive")), List.of(op("tryReceive"))),
                        List.of(op("size"))),
                // two senders, one free slot: exactly one succeeds
                scenario(List.of(op("trySend", 1)), List.of(List.of(op("trySend", 2)), List.of(op("trySend", 3))),
                        List.of(op("tryReceive"), op("tryReceive"))),
                // a sender and a receiver around a full ring wrapping its head
                scenario(List.of(op("trySend", 1), op("trySend", 2)),
                        List.of(List.of(op("tryReceive"), op("size")), List.of(op("trySend", 3), op("size"))),
                        List.of(op("tryReceive"), op("tryReceive"))),
                // close against a send: the send is in before the close, or fails
                scenario(List.of(), List.of(List.of(op("trySend", 1), op("isClosed")), List.of(op("close"),
                        op("size"))), List.of(op("tryReceive"), op("tryReceive"))))
                .forEach(options::addCustomScenario);
        options.check(getClass());
    }
}
