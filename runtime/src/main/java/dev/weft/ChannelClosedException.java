package dev.weft;

/** Thrown by {@link Channel#receive()} on a closed, drained channel and by {@link Channel#send} on a closed one. */
public final class ChannelClosedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ChannelClosedException(String message) {
        super(message);
    }
}
