//! Custom resource schemas from folders (`--schemas DIR`, config `schemas.dirs`), in
//! kubeconform's `{group}/{kind}_{version}.json` layout with the kind in lower case, so the
//! public CRD catalogue (datreeio/CRDs-catalog) works as is; a flat `{kind}_{version}.json`
//! (what kubeconform's `openapi2jsonschema.py` writes) is found too.
//!
//! Files are read when a custom resource first needs them. The converters that produce these
//! files write draft-4 documents; `$schema` and `id` are dropped so that every schema compiles
//! the same way, and the remaining quirks are left to the normalisation pass.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// A schema read from a folder.
pub struct DirSchema {
    /// The file.
    pub path: PathBuf,
    /// Its document, or why it cannot be used.
    pub schema: Result<Value, String>,
}

/// Group, version and kind.
type Gvk = (String, String, String);

/// The schema folders, searched in order.
#[derive(Default)]
pub struct SchemaDirs {
    dirs: Vec<PathBuf>,
    read: Mutex<HashMap<Gvk, Option<Arc<DirSchema>>>>,
}

impl SchemaDirs {
    /// Search `dirs`, in order.
    pub fn new(dirs: &[PathBuf]) -> Self {
        SchemaDirs {
            dirs: dirs.to_vec(),
            read: Mutex::default(),
        }
    }

    /// The schema of `group`/`version`/`kind`, from the first folder that has one.
    pub fn lookup(&self, group: &str, version: &str, kind: &str) -> Option<Arc<DirSchema>> {
        let key = (group.to_string(), version.to_string(), kind.to_string());
        if let Some(found) = self
            .read
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return found.clone();
        }
        let file = format!("{}_{version}.json", kind.to_lowercase());
        let found = self
            .dirs
            .iter()
            .flat_map(|d| [d.join(group).join(&file), d.join(&file)])
            .find(|p| p.is_file())
            .map(|p| Arc::new(read(&p)));
        self.read
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, found.clone());
        found
    }
}

fn read(path: &Path) -> DirSchema {
    let schema = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
        .and_then(|text| {
            serde_json::from_str::<Value>(&text)
                .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
        })
        .and_then(|mut v| match v.as_object_mut() {
            Some(root) => {
                for key in ["$schema", "$id", "id"] {
                    root.remove(key);
                }
                Ok(v)
            }
            None => Err(format!(
                "{} does not hold a JSON Schema object",
                path.display()
            )),
        });
    DirSchema {
        path: path.to_path_buf(),
        schema,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_found_in_kubeconform_layout_first_folder_first() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(b.path().join("example.com")).unwrap();
        std::fs::write(
            b.path().join("example.com/widget_v1.json"),
            r#"{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}"#,
        )
        .unwrap();
        std::fs::create_dir_all(a.path().join("example.com")).unwrap();
        std::fs::write(a.path().join("example.com/gadget_v1.json"), "not json").unwrap();
        let dirs = SchemaDirs::new(&[a.path().to_path_buf(), b.path().to_path_buf()]);
        let widget = dirs.lookup("example.com", "v1", "Widget").unwrap();
        assert_eq!(
            widget.schema.as_ref().unwrap(),
            &serde_json::json!({"type": "object"})
        );
        assert!(
            dirs.lookup("example.com", "v1", "Gadget")
                .unwrap()
                .schema
                .as_ref()
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(dirs.lookup("example.com", "v2", "Widget").is_none());
        std::fs::write(a.path().join("gizmo_v1.json"), "{}").unwrap();
        let flat = dirs.lookup("example.com", "v1", "Gizmo").unwrap();
        assert_eq!(flat.path, a.path().join("gizmo_v1.json"));
    }
}
