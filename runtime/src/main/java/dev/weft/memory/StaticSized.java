package dev.weft.memory;

/**
 * An object whose footprint is a constant computed when its class is compiled: the strictest sizing trait.
 * Every {@code StaticSized} object is also {@link RuntimeStaticSized} and {@link Sized}.
 *
 * <p>Annotate the class with {@link StaticSize} and put {@code weft-processor} on the annotation processor
 * path. The processor computes the class's shallow and deep size for each of the four JDK 25
 * {@linkplain ObjectLayout object layouts} and generates a class {@code <Name>StaticSize} (nested classes:
 * {@code Outer_InnerStaticSize}) with one constant per layout, plus {@code SHALLOW_BYTES} and
 * {@code DEEP_BYTES} for the layout in force, which a JIT folds to a constant. Return the latter:
 *
 * {@snippet class=dev.weft.snippets.Sample region=sample}
 *
 * <h2>Contract</h2>
 * {@link #deepSizeBytesMax()} returns the generated {@code DEEP_BYTES}: the footprint of the object when every
 * reference field holds its own, distinct, fully populated object. Null or shared references make the real
 * footprint smaller, never larger. The processor rejects a class that implements this interface without the
 * annotation, and a class whose size cannot be static (see {@link StaticSize}).
 */
public interface StaticSized extends RuntimeStaticSized {
}
