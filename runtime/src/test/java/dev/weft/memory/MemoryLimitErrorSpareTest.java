package dev.weft.memory;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The errors the containment path takes instead of making them (the heap may be full there): their message is
 * rendered from their fields when read, their cause is the real error, and the one shared error, for when none is
 * left, does not collect what tasks add to it.
 */
class MemoryLimitErrorSpareTest {
    @Test
    void spareFilledForATaskReadsLikeAnErrorMadeForIt() {
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        MemoryLimitError made = new MemoryLimitError(MemoryLimitError.Kind.OUT_OF_MEMORY, "heap", 96 << 20, 12 << 20,
                0, 100 << 20, "hog", null, oom);
        MemoryLimitError spare = new MemoryLimitError().fill(MemoryLimitError.Kind.OUT_OF_MEMORY, 96 << 20, 12 << 20,
                0, 100 << 20, "hog", oom);
        assertThat(spare.getMessage()).isEqualTo(made.getMessage())
                .contains("task 'hog'", "ran out of Java heap", "soft limit 96.0 MiB");
        assertThat(spare.getCause()).isSameAs(oom);
        assertThat(spare.getStackTrace()).as("made beforehand: its own stack trace would be the wrong one").isEmpty();
        spare.addSuppressed(new IllegalStateException("a sibling's"));
        assertThat(spare.getSuppressed()).hasSize(1);
    }

    @Test
    void messageFollowsTheFieldsOfASpareRefilledForAnotherKind() {
        MemoryLimitError spare = new MemoryLimitError().fill(MemoryLimitError.Kind.HEAP, 96 << 20, 12 << 20, 5 << 20,
                100 << 20, "leaker", null);
        assertThat(spare.kind()).isEqualTo(MemoryLimitError.Kind.HEAP);
        assertThat(spare.getMessage()).contains("stays above the soft limit 96.0 MiB", "task 'leaker' allocated the most",
                "(5.0 MiB)");
        assertThat(spare.getCause()).isNull();
    }

    @Test
    void sharedLastResortErrorKeepsNothingThatTasksAddToIt() {
        MemoryLimitError shared = new MemoryLimitError(true);
        shared.addSuppressed(new IllegalStateException("one task's"));
        assertThat(shared.getSuppressed()).isEmpty();
        assertThat(shared.taskName()).isNull();
        assertThat(shared.getMessage()).contains("no memory was left to make that task's own error", "unknown")
                .doesNotContain("outside Weft");
    }
}
