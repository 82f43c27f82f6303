package dev.weft;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;
class SmokeTest { @Test void javaVersion() { assertThat(Runtime.version().feature()).isGreaterThanOrEqualTo(25); } }
