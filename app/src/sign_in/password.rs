//! `/login`: email and password, and where the sign-in goes next.

use leptos::prelude::*;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Notice, Submit};
use crate::page::PublicPage;
#[cfg(feature = "ssr")]
use crate::session::{establish, form_action, put, PENDING_ENROLL, PENDING_MFA};

#[server(prefix = "/sfn", endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use gatehouse_core::service::PasswordOutcome;
    use gatehouse_core::store::AttemptReason;
    form_action("/login", |cx| async move {
        match cx.gh.login_password(&email, &password, &cx.origin).await? {
            PasswordOutcome::Authenticated { user_id } => {
                establish(&cx.session, user_id).await?;
                leptos_axum::redirect("/");
            }
            PasswordOutcome::MfaRequired { mfa_token, .. } => {
                cx.cycle_id().await?;
                put(&cx.session, PENDING_MFA, mfa_token).await?;
                leptos_axum::redirect("/login/mfa");
            }
            PasswordOutcome::EnrollmentRequired { mfa_token, reason } => {
                cx.cycle_id().await?;
                put(&cx.session, PENDING_ENROLL, mfa_token).await?;
                // A partner's grant or the desk's pass let the password through: My Account offers the reset.
                leptos_axum::redirect(
                    if matches!(
                        reason,
                        AttemptReason::ResetPermission | AttemptReason::ResetPass
                    ) {
                        "/account"
                    } else {
                        "/enroll"
                    },
                );
            }
        }
        Ok(())
    })
    .await
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let error = error_signal(action);
    view! {
        <PublicPage title="Sign in">
            <section class="card narrow" aria-labelledby="page-title">
                <h1 id="page-title">"Sign in"</h1>
                <Notice/>
                <ErrorBox message=error id="sign-in-error"/>
                <ActionForm action=action>
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required autofocus data-keep=""/>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"
                            aria-invalid=move || error.get().is_some().then_some("true")
                            aria-describedby="sign-in-error"/>
                    </div>
                    <Submit label="Sign in"/>
                </ActionForm>
                <p class="secondary-links"><a href="/password/forgot">"Forgot password?"</a>" · "<a href="/locked-out">"Locked out?"</a></p>
            </section>
        </PublicPage>
    }
}
