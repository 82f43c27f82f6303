package example.agent;

/** Implemented by {@link Recursive}, which calls itself through it. */
public interface Counter {
    long count(int n);
}
