//! Object calls: creation, lookup, change, copy, destruction and search, with
//! the visibility and session rules of PKCS#11 §5.

use super::{poisoned, Access, SessionObject, SoftToken, SESSION_HANDLE_BASE};
use crate::error::{Ckr, Result};
use crate::object::{self, Change, Origin};
use crate::store::Who;
use crate::{Attributes, Value};
use cryptoki_sys::*;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// One attribute read for C_GetAttributeValue.
pub type AttrRead = std::result::Result<Value, Ckr>;

fn is_token_handle(h: CK_OBJECT_HANDLE) -> bool {
    h != CK_INVALID_HANDLE && h < SESSION_HANDLE_BASE
}

/// How much of an object a caller needs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    /// Every value: to use, copy or rewrite the object.
    Whole,
    /// What can be read now: to show attributes.
    Readable,
}

impl SoftToken {
    /// C_CreateObject.
    pub fn create_object(&self, access: Access, template: &Attributes) -> Result<CK_OBJECT_HANDLE> {
        // The session's right to write comes before the object's contents.
        if template.bool(CKA_TOKEN)? == Some(true) && !access.read_write {
            return Err(Ckr(CKR_SESSION_READ_ONLY));
        }
        let obj = object::build(template, Origin::Create, &Attributes::new())?;
        self.insert(access, obj)
    }

    /// Store a complete object as a token or session object, after checking
    /// the caller may: token objects need a read/write session; private
    /// objects and any secret material stored on the token need the user
    /// logged in; only the SO may mark an object trusted.
    pub(crate) fn insert(&self, access: Access, obj: Attributes) -> Result<CK_OBJECT_HANDLE> {
        let on_token = self.may_insert(access, &obj)?;
        if on_token {
            let id = self.store()?.insert(&obj, self.user_key()?.as_ref())?;
            return Ok(id);
        }
        let handle = self.next_session_object.fetch_add(1, Ordering::Relaxed) as CK_OBJECT_HANDLE;
        let entry = SessionObject {
            owner: access.session,
            attrs: Arc::new(obj),
        };
        self.session_objects
            .write()
            .map_err(poisoned)?
            .insert(handle, entry);
        Ok(handle)
    }

    /// The checks of [`SoftToken::insert`]; whether the object goes on the
    /// token.
    fn may_insert(&self, access: Access, obj: &Attributes) -> Result<bool> {
        let on_token = obj.bool_or(CKA_TOKEN, false)?;
        let private = obj.bool_or(CKA_PRIVATE, false)?;
        let who = self.logged_in()?;
        if on_token && !access.read_write {
            return Err(Ckr(CKR_SESSION_READ_ONLY));
        }
        if (private || (on_token && object::holds_secret(obj))) && who != Some(Who::User) {
            return Err(Ckr::USER_NOT_LOGGED_IN);
        }
        if obj.bool_or(CKA_TRUSTED, false)? && who != Some(Who::So) {
            return Err(Ckr::ATTRIBUTE_READ_ONLY);
        }
        // Objects written before C_InitToken would outlive the token that
        // C_InitToken creates.
        if on_token && !self.initialized()? {
            return Err(Ckr::TOKEN_NOT_INITIALIZED);
        }
        Ok(on_token)
    }

    /// Store objects made together (a key pair, derived keys): all or none.
    /// Every object is checked before the first is stored; one that still
    /// fails (a full disk) takes the ones stored before it away again,
    /// whatever their CKA_DESTROYABLE says.
    pub(crate) fn insert_all(
        &self,
        access: Access,
        objects: Vec<Attributes>,
    ) -> Result<Vec<CK_OBJECT_HANDLE>> {
        for obj in &objects {
            self.may_insert(access, obj)?;
        }
        let mut handles = Vec::with_capacity(objects.len());
        for obj in objects {
            match self.insert(access, obj) {
                Ok(h) => handles.push(h),
                Err(e) => {
                    for h in handles {
                        if let Err(undo) = self.discard(h) {
                            log::error!("object {h} of a failed creation stays: {undo}");
                        }
                    }
                    return Err(e);
                }
            }
        }
        Ok(handles)
    }

    /// Remove an object this token just made, with no checks.
    fn discard(&self, handle: CK_OBJECT_HANDLE) -> Result<()> {
        if is_token_handle(handle) {
            return self.store()?.remove(handle);
        }
        self.session_objects
            .write()
            .map_err(poisoned)?
            .remove(&handle);
        Ok(())
    }

    /// The object behind a handle, if the caller may see it (private objects
    /// only with the user logged in), whole: a public token key whose sealed
    /// values need the login is CKR_USER_NOT_LOGGED_IN.
    pub fn object(&self, handle: CK_OBJECT_HANDLE) -> Result<Arc<Attributes>> {
        self.object_as(handle, View::Whole).map(|(obj, _)| obj)
    }

    /// The object behind `handle` as far as it can be read now, and whether
    /// that is partial: without login, a public token key's sealed values
    /// are left out. For what only reads attributes.
    pub(super) fn object_view(&self, handle: CK_OBJECT_HANDLE) -> Result<(Arc<Attributes>, bool)> {
        self.object_as(handle, View::Readable)
    }

    fn object_as(&self, handle: CK_OBJECT_HANDLE, view: View) -> Result<(Arc<Attributes>, bool)> {
        let key = self.user_key()?;
        let obj = if is_token_handle(handle) {
            let (obj, partial) = match self.store()?.load_view(handle, key.as_ref()) {
                Ok(loaded) => loaded,
                Err(e) if e == Ckr::DEVICE_ERROR => return Err(e),
                Err(_) => return Err(Ckr::OBJECT_HANDLE_INVALID),
            };
            if partial && view == View::Whole {
                return Err(Ckr::USER_NOT_LOGGED_IN);
            }
            (obj, partial)
        } else {
            let objects = self.session_objects.read().map_err(poisoned)?;
            let entry = objects.get(&handle).ok_or(Ckr::OBJECT_HANDLE_INVALID)?;
            (entry.attrs.clone(), false)
        };
        if key.is_none() && obj.0.bool_or(CKA_PRIVATE, true)? {
            return Err(Ckr::OBJECT_HANDLE_INVALID);
        }
        Ok(obj)
    }

    /// Replace a stored object with a changed version of itself.
    fn replace(&self, access: Access, handle: CK_OBJECT_HANDLE, obj: Attributes) -> Result<()> {
        if is_token_handle(handle) {
            if !access.read_write {
                return Err(Ckr(CKR_SESSION_READ_ONLY));
            }
            return self
                .store()?
                .update(handle, &obj, self.user_key()?.as_ref());
        }
        let mut objects = self.session_objects.write().map_err(poisoned)?;
        let entry = objects.get_mut(&handle).ok_or(Ckr::OBJECT_HANDLE_INVALID)?;
        entry.attrs = Arc::new(obj);
        Ok(())
    }

    /// C_DestroyObject.
    pub fn destroy_object(&self, access: Access, handle: CK_OBJECT_HANDLE) -> Result<()> {
        let (obj, _) = self.object_view(handle)?;
        if !obj.bool_or(CKA_DESTROYABLE, true)? {
            return Err(Ckr::ACTION_PROHIBITED);
        }
        if is_token_handle(handle) && !access.read_write {
            return Err(Ckr(CKR_SESSION_READ_ONLY));
        }
        self.discard(handle)
    }

    /// C_SetAttributeValue.
    pub fn set_attributes(
        &self,
        access: Access,
        handle: CK_OBJECT_HANDLE,
        changes: &Attributes,
    ) -> Result<()> {
        let obj = self.object(handle)?;
        let changed = object::change(&obj, changes, Change::Set)?;
        if changes.bool(CKA_TRUSTED)? == Some(true) && self.logged_in()? != Some(Who::So) {
            return Err(Ckr::ATTRIBUTE_READ_ONLY);
        }
        self.replace(access, handle, changed)
    }

    /// C_CopyObject.
    pub fn copy_object(
        &self,
        access: Access,
        handle: CK_OBJECT_HANDLE,
        changes: &Attributes,
    ) -> Result<CK_OBJECT_HANDLE> {
        let obj = self.object(handle)?;
        let copy = object::change(&obj, changes, Change::Copy)?;
        self.insert(access, copy)
    }

    /// C_GetAttributeValue: one result per requested type.
    pub fn get_attributes(
        &self,
        handle: CK_OBJECT_HANDLE,
        types: &[CK_ATTRIBUTE_TYPE],
    ) -> Result<Vec<AttrRead>> {
        let (obj, partial) = self.object_view(handle)?;
        let read = |ty: CK_ATTRIBUTE_TYPE| match object::read(&obj, ty) {
            // A value left sealed because nobody is logged in exists, but
            // cannot be revealed now.
            Err(Ckr::ATTRIBUTE_TYPE_INVALID) if partial && object::is_secret(&obj, ty)? => {
                Err(Ckr::ATTRIBUTE_SENSITIVE)
            }
            other => other,
        };
        Ok(types.iter().map(|ty| read(*ty)).collect())
    }

    /// C_GetObjectSize.
    pub fn object_size(&self, handle: CK_OBJECT_HANDLE) -> Result<usize> {
        Ok(object::size(&self.object_view(handle)?.0))
    }

    /// C_FindObjectsInit: every visible object matching `template`. Token
    /// objects come from the store's index; session objects are few and live
    /// in memory.
    pub fn find(&self, template: &Attributes) -> Result<Vec<CK_OBJECT_HANDLE>> {
        let key = self.user_key()?;
        let mut found = Vec::new();
        let wants_token = template.bool(CKA_TOKEN)?;
        if wants_token != Some(false) && self.initialized()? {
            let store = self.store()?;
            for id in store.find(template, key.as_ref())? {
                // Another session may destroy an object between the index
                // lookup and the load; that object is simply not found.
                let obj = match store.load(id, key.as_ref()) {
                    Err(Ckr::OBJECT_HANDLE_INVALID) => continue,
                    other => other?,
                };
                let visible = key.is_some() || !obj.bool_or(CKA_PRIVATE, true)?;
                if visible && object::matches_template(&obj, template)? {
                    found.push(id);
                }
            }
        }
        if wants_token != Some(true) {
            let objects = self.session_objects.read().map_err(poisoned)?;
            for (handle, entry) in objects.iter() {
                let visible = key.is_some() || !entry.attrs.bool_or(CKA_PRIVATE, true)?;
                if visible && object::matches_template(&entry.attrs, template)? {
                    found.push(*handle);
                }
            }
        }
        Ok(found)
    }

    /// Destroy the session objects a closing session created.
    pub fn close_session(&self, session: CK_SESSION_HANDLE) -> Result<()> {
        self.session_objects
            .write()
            .map_err(poisoned)?
            .retain(|_, o| o.owner != session);
        Ok(())
    }
}
