//! `hipvoice voices`: the voices of both engines, grouped by language, for the ear (one plain
//! line per language, no table a screen reader would read cell by cell).

use std::collections::BTreeMap;

/// One voice: the name its option takes (`--voice`, `--system-voice`) and its language tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub language: String,
}

/// The listing. `only`: a primary language to keep (`"en"`), or every voice with `None`.
/// `embedded_default` and `system_chosen` are marked. `system` is speech-dispatcher's list, or
/// why there is none (a line says so, and the embedded voices are still listed).
pub fn format(
    embedded: &[Listed],
    system: Result<&[Listed], &str>,
    only: Option<&str>,
    embedded_default: &str,
    system_chosen: Option<&str>,
) -> String {
    let keep = |v: &&Listed| only.is_none_or(|p| super::primary_language(&v.language) == p);
    let mut out = String::new();
    let which = only.map_or(String::new(), |p| format!(" for the language {p}"));
    out.push_str(&format!(
        "The embedded voice (espeak-ng), for --voice{which}:\n"
    ));
    let e: Vec<&Listed> = embedded.iter().filter(keep).collect();
    out.push_str(&grouped(&e, Some(embedded_default), "the default", false));
    out.push_str(&format!(
        "\nThe system voice (speech-dispatcher), for --engine system --system-voice{which}:\n"
    ));
    match system {
        Ok(list) => {
            let s: Vec<&Listed> = list.iter().filter(keep).collect();
            out.push_str(&grouped(&s, system_chosen, "yours", only.is_some()));
            if system_chosen.is_none() {
                out.push_str(
                    "Without --system-voice, speech-dispatcher speaks with its own default voice.\n",
                );
            }
        }
        Err(why) => out.push_str(&format!(
            "No voices here: {why}. Start speech-dispatcher (it comes with the speech-dispatcher package), or use the embedded voice.\n"
        )),
    }
    if only.is_some() {
        out.push_str("\nEvery language: hipvoice voices --all\n");
    }
    out
}

/// One line per language. With `collapse`, a voice's variants (`NAME+VARIANT`, which
/// speech-dispatcher's espeak-ng module lists a hundred of for every voice) are counted, not
/// named, unless one is marked.
fn grouped(voices: &[&Listed], mark: Option<&str>, marked_as: &str, collapse: bool) -> String {
    if voices.is_empty() {
        return "None.\n".to_owned();
    }
    let mut by: BTreeMap<String, (Vec<String>, usize)> = BTreeMap::new();
    for v in voices {
        let entry = by.entry(v.language.clone()).or_default();
        let marked = Some(v.name.as_str()) == mark;
        if collapse && !marked && v.name.contains('+') {
            entry.1 += 1;
            continue;
        }
        let name = if marked {
            format!("{} ({marked_as})", v.name)
        } else {
            v.name.clone()
        };
        if !entry.0.contains(&name) {
            entry.0.push(name);
        }
    }
    by.iter()
        .map(|(lang, (names, variants))| {
            let more = match variants {
                0 => String::new(),
                1 => " (and 1 variant: hipvoice voices --all)".to_owned(),
                n => format!(" (and {n} variants: hipvoice voices --all)"),
            };
            if names.is_empty() {
                format!("{lang}:{more}.\n")
            } else {
                format!("{lang}: {}{more}.\n", names.join(", "))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, language: &str) -> Listed {
        Listed {
            name: name.into(),
            language: language.into(),
        }
    }

    #[test]
    fn voices_are_grouped_by_language_with_the_default_marked_and_filtered() {
        let embedded = [v("en-us", "en-us"), v("en-gb", "en-gb"), v("de", "de")];
        let system = [
            v("english", "en"),
            v("Alex", "en"),
            v("english+f1", "en"),
            v("english+f2", "en"),
            v("german", "de"),
        ];
        let all = format(&embedded, Ok(&system), None, "en-us", None);
        assert!(all.contains("en-us: en-us (the default).\n"), "{all}");
        assert!(all.contains("de: de.\n"), "{all}");
        assert!(
            all.contains("en: english, Alex, english+f1, english+f2.\n"),
            "{all}"
        );
        assert!(all.contains("its own default voice"), "{all}");
        assert!(!all.contains("--all"), "{all}");

        let en = format(&embedded, Ok(&system), Some("en"), "en-us", Some("Alex"));
        assert!(!en.contains("german") && !en.contains("de: "), "{en}");
        // Variants are counted, not named, in a language's listing.
        assert!(
            en.contains("en: english, Alex (yours) (and 2 variants: hipvoice voices --all).\n"),
            "{en}"
        );
        let f1 = format(
            &embedded,
            Ok(&system),
            Some("en"),
            "en-us",
            Some("english+f1"),
        );
        assert!(f1.contains("english+f1 (yours) (and 1 variant"), "{f1}");
        assert!(en.contains("Every language: hipvoice voices --all"), "{en}");

        let none = format(
            &embedded,
            Err("speech-dispatcher is not available"),
            Some("en"),
            "en-us",
            None,
        );
        assert!(
            none.contains(
                "No voices here: speech-dispatcher is not available. Start speech-dispatcher"
            ),
            "{none}"
        );
        assert!(none.contains("en-gb: en-gb.\n"), "{none}");
    }
}
