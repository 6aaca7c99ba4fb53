//! Which radar technology a dependency stands for. A dependency whose own short name is a radar
//! id (`log4j-core`, `react`, `redis`) needs no entry here: it maps to itself, so adding a
//! library to the radar needs no code.

/// One rule: dependencies of `ecosystem` named `pattern` (a trailing `*` matches any rest)
/// stand for the radar technology `id`.
struct Rule {
    ecosystem: &'static str,
    pattern: &'static str,
    id: &'static str,
    /// Whether the dependency's version is the technology's version. A database driver's
    /// version says nothing about the database server's.
    versioned: bool,
}

const fn rule(
    ecosystem: &'static str,
    pattern: &'static str,
    id: &'static str,
    versioned: bool,
) -> Rule {
    Rule {
        ecosystem,
        pattern,
        id,
        versioned,
    }
}

const RULES: &[Rule] = &[
    // JVM frameworks and libraries
    rule("maven", "org.springframework.boot:*", "spring-boot", true),
    rule(
        "gradle-plugin",
        "org.springframework.boot",
        "spring-boot",
        true,
    ),
    rule("maven", "io.quarkus:*", "quarkus", true),
    rule("maven", "io.quarkus.platform:*", "quarkus", true),
    rule("gradle-plugin", "io.quarkus", "quarkus", true),
    rule(
        "maven",
        "org.apache.logging.log4j:log4j-core",
        "log4j-core",
        true,
    ),
    rule(
        "maven",
        "com.fasterxml.jackson.core:jackson-databind",
        "jackson-databind",
        true,
    ),
    rule(
        "maven",
        "org.jetbrains.kotlin:kotlin-stdlib*",
        "kotlin",
        true,
    ),
    rule("gradle-plugin", "org.jetbrains.kotlin.*", "kotlin", true),
    rule("maven", "org.scala-lang:scala-library", "scala", true),
    rule("maven", "org.apache.spark:spark-core*", "spark", true),
    rule("maven", "org.apache.spark:spark-sql*", "spark", true),
    rule("maven", "org.apache.kafka:kafka-clients", "kafka", true),
    rule("maven", "org.springframework.kafka:*", "kafka", false),
    rule("maven", "org.postgresql:postgresql", "postgresql", false),
    rule("maven", "redis.clients:jedis", "redis", false),
    rule("maven", "io.lettuce:lettuce-core", "redis", false),
    rule(
        "maven",
        "com.datastax.oss:java-driver-core",
        "cassandra",
        false,
    ),
    rule("maven", "co.elastic.clients:*", "elasticsearch", false),
    rule(
        "maven",
        "org.elasticsearch.client:*",
        "elasticsearch",
        false,
    ),
    rule("maven", "org.opensearch.client:*", "opensearch", false),
    rule("maven", "org.mongodb:*", "mongodb", false),
    // JavaScript
    rule("npm", "@angular/core", "angular", true),
    rule("npm", "pg", "postgresql", false),
    rule("npm", "kafkajs", "kafka", false),
    rule("npm", "ioredis", "redis", false),
    rule("npm", "mongoose", "mongodb", false),
    rule("npm", "@elastic/elasticsearch", "elasticsearch", false),
    rule("npm", "@opensearch-project/opensearch", "opensearch", false),
    // Python
    rule("pypi", "psycopg*", "postgresql", false),
    rule("pypi", "asyncpg", "postgresql", false),
    rule("pypi", "kafka-python", "kafka", false),
    rule("pypi", "confluent-kafka", "kafka", false),
    rule("pypi", "aiokafka", "kafka", false),
    rule("pypi", "pyspark", "spark", true),
    rule("pypi", "pymongo", "mongodb", false),
    rule("pypi", "motor", "mongodb", false),
    rule("pypi", "cassandra-driver", "cassandra", false),
    rule("pypi", "opensearch-py", "opensearch", false),
    rule("pypi", "elasticsearch", "elasticsearch", false),
    rule("pypi", "redis", "redis", false),
    rule("npm", "redis", "redis", false),
    rule("npm", "mongodb", "mongodb", false),
    // Go
    rule("go", "github.com/jackc/pgx*", "postgresql", false),
    rule("go", "github.com/lib/pq", "postgresql", false),
    rule("go", "github.com/segmentio/kafka-go", "kafka", false),
    rule("go", "github.com/IBM/sarama", "kafka", false),
    rule(
        "go",
        "github.com/confluentinc/confluent-kafka-go*",
        "kafka",
        false,
    ),
    rule("go", "github.com/redis/go-redis*", "redis", false),
    rule("go", "go.mongodb.org/mongo-driver*", "mongodb", false),
    rule("go", "github.com/gocql/gocql", "cassandra", false),
    // Rust
    rule("cargo", "tokio-postgres", "postgresql", false),
    rule("cargo", "rdkafka", "kafka", false),
    rule("cargo", "redis", "redis", false),
    rule("cargo", "mongodb", "mongodb", false),
];

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// The short name a radar id would use: the artifact of `group:artifact`, the last segment of
/// a Go module path, the package name otherwise.
fn short_name<'a>(ecosystem: &str, name: &'a str) -> &'a str {
    match ecosystem {
        "maven" => name.rsplit(':').next().unwrap_or(name),
        "go" => name
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(name),
        _ => name,
    }
}

/// The radar technology a dependency stands for, and whether its version is the technology's.
/// `on_radar` answers whether an id is on the radar (for the name-is-the-id rule).
pub fn technology_of(
    ecosystem: &str,
    name: &str,
    on_radar: &dyn Fn(&str) -> bool,
) -> Option<(String, bool)> {
    if let Some(r) = RULES
        .iter()
        .find(|r| r.ecosystem == ecosystem && matches(r.pattern, name))
    {
        return Some((r.id.to_string(), r.versioned));
    }
    let short = short_name(ecosystem, name);
    // A Helm chart's or a Terraform provider's version is not the version of what it installs
    // or drives (the `postgresql` chart 15.5.17 runs PostgreSQL 16).
    let versioned = !matches!(ecosystem, "helm" | "terraform");
    (ecosystem != "gradle-plugin" && on_radar(short)).then(|| (short.to_string(), versioned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_then_names() {
        let radar = |id: &str| ["log4j-core", "react", "redis"].contains(&id);
        assert_eq!(
            technology_of(
                "maven",
                "org.springframework.boot:spring-boot-starter-web",
                &radar
            ),
            Some(("spring-boot".into(), true))
        );
        assert_eq!(
            technology_of("maven", "org.apache.logging.log4j:log4j-core", &radar),
            Some(("log4j-core".into(), true))
        );
        assert_eq!(
            technology_of("npm", "react", &radar),
            Some(("react".into(), true))
        );
        assert_eq!(
            technology_of("pypi", "psycopg2-binary", &radar),
            Some(("postgresql".into(), false))
        );
        assert_eq!(technology_of("npm", "left-pad", &radar), None);
    }
}
