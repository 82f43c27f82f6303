package dev.weft.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import org.junit.jupiter.api.Test;

/**
 * The three traits form one hierarchy, and the documented ways of implementing them report what the estimator
 * measures.
 */
class SizingTraitsTest {

    /** The RuntimeStaticSized example from the Javadoc: preallocates, commits the total at construction. */
    static final class RingBuffer implements RuntimeStaticSized {
        private final long[] slots;
        private final long sizeBytesMax;
        private int head; // owner thread only

        RingBuffer(int capacity) {
            slots = new long[capacity];
            sizeBytesMax = Sizes.add(Sizes.shallowSizeBytes(RingBuffer.class), Sizes.arraySizeBytes(long.class, capacity));
        }

        void add(long value) {
            slots[head] = value;
            head = (head + 1) % slots.length;
        }

        @Override
        public long deepSizeBytesMax() {
            return sizeBytesMax;
        }
    }

    /** The Sized example from the Javadoc: measures itself, excluding the estimator it holds. */
    static final class Inbox implements Sized {
        private final ArrayDeque<byte[]> messages = new ArrayDeque<>();
        private final DeepSizeEstimator estimator = new DeepSizeEstimator();

        @Override
        public long deepSizeBytes() {
            return estimator.estimate(this, estimator).sizeBytes();
        }
    }

    @Test
    void stricterTraitsAreAlsoTheBroaderOnes() {
        assertThat(Sized.class).isAssignableFrom(RuntimeStaticSized.class);
        assertThat(RuntimeStaticSized.class).isAssignableFrom(StaticSized.class);
        assertThat(Sized.class).isAssignableFrom(StaticSized.class);
    }

    @Test
    void runtimeStaticObjectCommitsExactlyWhatItOccupiesAndNeverGrows() {
        RingBuffer ring = new RingBuffer(1_000);
        DeepSizeEstimator estimator = new DeepSizeEstimator();
        assertThat(ring.deepSizeBytes()).as("default: the committed maximum").isEqualTo(ring.deepSizeBytesMax());
        assertThat(estimator.deepSizeBytes(ring)).isEqualTo(ring.deepSizeBytesMax());
        for (int i = 0; i < 5_000; i++) {
            ring.add(i);
        }
        assertThat(estimator.deepSizeBytes(ring)).isEqualTo(ring.deepSizeBytesMax());
    }

    @Test
    void perObjectSizeFollowsTheContentAndExcludesTheEstimator() {
        Inbox inbox = new Inbox();
        long empty = inbox.deepSizeBytes();
        inbox.messages.add(new byte[1_000]);
        long one = inbox.deepSizeBytes();
        assertThat(one - empty).isGreaterThanOrEqualTo(Sizes.arraySizeBytes(byte.class, 1_000));
        assertThat(empty).as("the estimator's work tables are not counted")
                .isLessThan(Sizes.arraySizeBytes(Object.class, 256));
    }
}
