//! RFC 6902 JSON patches over rendered trees: `add`, `remove`, `replace`, `move`, `copy`, `test`.
//!
//! Values come from the patch file with their origins, so an added or replaced field is blamed
//! on the patch line that wrote it.

use super::tree::{RNode, RVal};
use crate::manifest::yaml::pointer_tokens;

/// One operation, already read from the patch file.
#[derive(Clone, Debug)]
pub struct Op {
    /// `add`, `remove`, …
    pub op: String,
    /// Target pointer.
    pub path: String,
    /// Source pointer of `move`/`copy`.
    pub from: Option<String>,
    /// Value of `add`/`replace`/`test`.
    pub value: Option<RNode>,
}

fn parent_mut<'a>(root: &'a mut RNode, tokens: &[String]) -> Result<&'a mut RNode, String> {
    let mut n = root;
    for t in tokens {
        n = match &mut n.value {
            RVal::Map(m) => m
                .iter_mut()
                .find(|(k, _)| k.text == t)
                .map(|(_, v)| v)
                .ok_or_else(|| format!("no `{t}` in the target"))?,
            RVal::Seq(items) => {
                let i: usize = t
                    .parse()
                    .map_err(|_| format!("`{t}` is not a list index"))?;
                let len = items.len();
                items
                    .get_mut(i)
                    .ok_or_else(|| format!("index {i} out of range (list has {len})"))?
            }
            _ => return Err(format!("`{t}` is below a scalar")),
        };
    }
    Ok(n)
}

fn get<'a>(root: &'a RNode, path: &str) -> Result<&'a RNode, String> {
    let mut n = root;
    for t in pointer_tokens(path) {
        n = match &n.value {
            RVal::Map(_) => n.get(&t),
            RVal::Seq(items) => t.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
        .ok_or_else(|| format!("path `{path}` does not exist"))?;
    }
    Ok(n)
}

fn add(root: &mut RNode, path: &str, value: RNode, replace: bool) -> Result<(), String> {
    let tokens = pointer_tokens(path);
    let Some((last, parents)) = tokens.split_last() else {
        *root = value;
        return Ok(());
    };
    let parent = parent_mut(root, parents)?;
    match &mut parent.value {
        RVal::Map(m) => {
            if let Some((_, v)) = m.iter_mut().find(|(k, _)| k.text == last) {
                *v = value;
            } else if replace {
                return Err(format!("path `{path}` does not exist"));
            } else {
                let origin = value.origin.clone();
                m.push((
                    super::tree::RKey {
                        text: last.as_str().into(),
                        origin,
                    },
                    value,
                ));
            }
        }
        RVal::Seq(items) => {
            if last == "-" && !replace {
                items.push(value);
            } else {
                let i: usize = last
                    .parse()
                    .map_err(|_| format!("`{last}` is not a list index"))?;
                if replace {
                    let len = items.len();
                    *items
                        .get_mut(i)
                        .ok_or_else(|| format!("index {i} out of range (list has {len})"))? = value;
                } else if i <= items.len() {
                    items.insert(i, value);
                } else {
                    return Err(format!("index {i} out of range (list has {})", items.len()));
                }
            }
        }
        _ => return Err(format!("cannot add below a scalar at `{path}`")),
    }
    Ok(())
}

fn remove(root: &mut RNode, path: &str) -> Result<RNode, String> {
    let tokens = pointer_tokens(path);
    let Some((last, parents)) = tokens.split_last() else {
        return Err("cannot remove the whole object".into());
    };
    let parent = parent_mut(root, parents)?;
    match &mut parent.value {
        RVal::Map(m) => {
            let i = m
                .iter()
                .position(|(k, _)| k.text == last)
                .ok_or_else(|| format!("path `{path}` does not exist"))?;
            Ok(m.remove(i).1)
        }
        RVal::Seq(items) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("`{last}` is not a list index"))?;
            if i < items.len() {
                Ok(items.remove(i))
            } else {
                Err(format!("index {i} out of range (list has {})", items.len()))
            }
        }
        _ => Err(format!("path `{path}` does not exist")),
    }
}

/// Apply operations in order; stops at the first failing one.
pub fn apply(root: &mut RNode, ops: &[Op]) -> Result<(), String> {
    for op in ops {
        let value = || {
            op.value
                .clone()
                .ok_or_else(|| format!("`{}` needs a `value`", op.op))
        };
        let from = || {
            op.from
                .clone()
                .ok_or_else(|| format!("`{}` needs a `from`", op.op))
        };
        match op.op.as_str() {
            "add" => add(root, &op.path, value()?, false)?,
            "replace" => add(root, &op.path, value()?, true)?,
            "remove" => {
                remove(root, &op.path)?;
            }
            "move" => {
                let v = remove(root, &from()?)?;
                add(root, &op.path, v, false)?;
            }
            "copy" => {
                let v = get(root, &from()?)?.clone();
                add(root, &op.path, v, false)?;
            }
            "test" => {
                if !get(root, &op.path)?.same_value(&value()?) {
                    return Err(format!("test failed at `{}`", op.path));
                }
            }
            other => return Err(format!("unknown operation `{other}`")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::yaml;
    use crate::source::SourceFile;

    fn node(text: &str) -> RNode {
        let src = SourceFile::new("t.yaml", text);
        let p = yaml::parse(&src);
        RNode::from_node(&src, &p.documents[0].root, &|s| s)
    }

    fn op(op: &str, path: &str, from: Option<&str>, value: Option<&str>) -> Op {
        Op {
            op: op.into(),
            path: path.into(),
            from: from.map(String::from),
            value: value.map(node),
        }
    }

    #[test]
    fn all_operations() {
        let mut n = node("a: {b: [1, 2]}\nc: x\n");
        apply(
            &mut n,
            &[
                op("add", "/a/b/-", None, Some("3")),
                op("add", "/a/b/0", None, Some("0")),
                op("replace", "/c", None, Some("z")),
                op("copy", "/d", Some("/c"), None),
                op("move", "/e", Some("/a/b"), None),
                op("remove", "/a", None, None),
                op("test", "/d", None, Some("z")),
            ],
        )
        .expect("applies");
        assert_eq!(
            n.to_json(),
            serde_json::json!({"c": "z", "d": "z", "e": [0, 1, 2, 3]})
        );
        assert!(apply(&mut n, &[op("replace", "/zz", None, Some("1"))]).is_err());
        assert!(apply(&mut n, &[op("test", "/c", None, Some("n"))]).is_err());
    }
}
